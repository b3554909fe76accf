using System.Diagnostics;
using Dataflow;
using Dataflow.Examples;
using Dataflow.Examples.WordCount;

// WordCount: counts space-separated words of a text file and writes `word<TAB>count` lines.
// With no --input it generates a text of Zipf-distributed words first (--megabytes, default 20), kept in
// --data-dir DIR or the per-user cache folder (~/.cache/dataflow/inputs).
var commandLine = args; // top-level args: also right when the launcher runs the program in its own process
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(commandLine, "input", "megabytes");
    var env = DataflowEnvironment.Create(args.GetIntOrNull("parallelism"));
    var input = args.Get("input");
    if (input is null)
    {
        const int seed = 42;
        int megabytes = args.GetInt("megabytes", 20);
        input = GeneratedInputs.GetOrCreate(args, $"wordcount-{megabytes}mb-seed{seed}.txt", $"{megabytes} MB of text",
            file => TextGenerator.Write(file, megabytes * 1_000_000L, seed));
    }
    if (!InputFiles.HasText(input)) throw new InvalidDataException($"input file {input} has no words");
    var output = args.Get("output");

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
