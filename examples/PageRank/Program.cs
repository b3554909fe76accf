using System.Diagnostics;
using System.Globalization;
using Dataflow.Examples;
using Dataflow.Examples.PageRank;

// PageRank: --edges F --iterations N [--damping 0.85] [--tolerance T] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs).
var commandLine = args; // top-level args: also right when the launcher runs the program in its own process
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(commandLine, "edges", "iterations", "damping", "tolerance", "scale");
    var (env, stats) = ExampleRunner.CreateEnvironment(args);
    using var _ = stats;
    var path = ExampleRunner.EdgesOrGenerated(args);
    int iterations = args.GetInt("iterations", 20);
    var sw = Stopwatch.StartNew();
    var ranks = await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, path), iterations,
        args.GetDouble("damping", 0.85), args.GetDouble("tolerance", 0), ct);
    if (args.Get("output") is { } output)
    {
        await ranks.WriteTextAsync(output, r => string.Create(CultureInfo.InvariantCulture, $"{r.Id}\t{r.Value:R}"), ct);
        Console.WriteLine($"wrote {output} in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
    }
    else
    {
        var all = await ranks.CollectAsync(ct);
        Console.WriteLine($"{all.Count} vertices, rank sum {all.Sum(r => r.Value):F12}, {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
        foreach (var r in all.OrderByDescending(r => r.Value).ThenBy(r => r.Id).Take(10))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Id}\t{r.Value:R}"));
        }
    }
});
