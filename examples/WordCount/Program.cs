using System.Diagnostics;
using Dataflow;
using Dataflow.Examples;

// WordCount: counts space-separated words of a text file and writes `word<TAB>count` lines.
// With no --input it generates a text of Zipf-distributed words first.
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(Environment.GetCommandLineArgs()[1..], "input", "megabytes");
    var env = DataflowEnvironment.CreateLocal(args.GetIntOrNull("parallelism"));
    var input = args.Get("input");
    if (input is null)
    {
        input = Path.Combine(Path.GetTempPath(), $"wordcount-{args.GetInt("megabytes", 20)}mb.txt");
        if (!File.Exists(input))
        {
            Console.WriteLine($"generating {input} ...");
            TextGenerator.Write(input, args.GetInt("megabytes", 20) * 1_000_000L, seed: 42);
        }
    }
    var output = args.Get("output");

    var counts = env.ReadTextLines(input)
        .FlatMap<string>((line, emit) =>
        {
            foreach (var range in line.AsSpan().Split(' '))
            {
                if (range.End.Value > range.Start.Value) emit.Emit(line[range]);
            }
        })
        .GroupBy(word => word)
        .Count();

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

/// <summary>Generates text whose word frequencies follow a Zipf law, like natural language.</summary>
internal static class TextGenerator
{
    public static void Write(string path, long bytes, int seed)
    {
        var rng = new Random(seed);
        const int vocabulary = 50_000;
        var words = new string[vocabulary];
        for (int i = 0; i < vocabulary; i++)
        {
            int len = 2 + rng.Next(9);
            words[i] = string.Create(len, rng, static (span, r) =>
            {
                for (int j = 0; j < span.Length; j++) span[j] = (char)('a' + r.Next(26));
            });
        }
        // Cumulative Zipf(1) weights for sampling by binary search.
        var cdf = new double[vocabulary];
        double sum = 0;
        for (int i = 0; i < vocabulary; i++) cdf[i] = sum += 1.0 / (i + 1);
        string tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false), 1 << 16))
        {
            long written = 0;
            while (written < bytes)
            {
                int n = 5 + rng.Next(12);
                for (int j = 0; j < n; j++)
                {
                    int k = Array.BinarySearch(cdf, rng.NextDouble() * sum);
                    var word = words[k < 0 ? ~k : k];
                    if (j > 0) w.Write(' ');
                    w.Write(word);
                    written += word.Length + 1;
                }
                w.Write('\n');
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
