using System.CommandLine;
using System.Diagnostics;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Examples;
using Dataflow.Examples.WordCount;

// WordCount: counts space-separated words of a text file and writes `word<TAB>count` lines.
// With no --input it generates a text of Zipf-distributed words first (--megabytes, default 20), kept in
// --data-dir DIR or the per-user cache folder (~/.cache/dataflow/inputs).
var inputOption = new Option<string>("--input") { Description = "the text file (default: generated text of Zipf-distributed words)" };
var megabytesOption = CommandLineOptions.Int("--megabytes", "without --input: the size of the generated text in MB", 20, 1);
var command = new ExampleCommand("WordCount", "counts the space-separated words of a text file: prints the 10 most frequent, or writes every count with --output",
    "writes every word's count to this file: 'word<TAB>count' lines", inputOption, megabytesOption);
return await command.RunAsync(args, async (parsed, settings, ct) =>
{
    var (env, resources) = await ExampleRunner.CreateEnvironmentAsync(settings);
    await using var _ = resources;
    var input = parsed.GetValue(inputOption);
    if (input is null)
    {
        const int seed = 42;
        int megabytes = parsed.GetValue(megabytesOption);
        input = GeneratedInputs.GetOrCreate(settings, $"wordcount-{megabytes}mb-seed{seed}.txt", $"{megabytes} MB of text",
            file => TextGenerator.Write(file, megabytes * 1_000_000L, seed));
    }
    if (!InputFiles.HasText(input)) throw new InvalidDataException($"input file {input} has no words");
    var output = settings.Output;

    var counts = WordCountJob.Build(env, input);

    var sw = Stopwatch.StartNew();
    if (output is not null)
    {
        await counts.WriteTextAsync(output, c => $"{c.Key}\t{c.Count}", ct);
        Console.WriteLine($"wrote {output} in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
    }
    else
    {
        var all = await counts.CollectAsync(ct);
        Console.WriteLine($"{all.Count} distinct words, {all.Sum(c => c.Count)} words in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
        foreach (var (word, count) in all.OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(10))
        {
            Console.WriteLine($"{word}\t{count}");
        }
    }
});
