using System.Diagnostics;
using System.Globalization;
using Dataflow;
using Dataflow.Examples;
using Dataflow.Examples.PageRank;

// PageRank: --edges F --iterations N [--damping 0.85] [--tolerance T] [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs). A line that is not two non-negative integer ids fails with path:line;
// --skip-invalid skips (and counts) such lines instead.
var commandLine = args; // top-level args: also right when the launcher runs the program in its own process
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(commandLine, ["skip-invalid"], "edges", "iterations", "damping", "tolerance", "scale");
    var (env, stats) = ExampleRunner.CreateEnvironment(args);
    using var _ = stats;
    var path = ExampleRunner.EdgesOrGenerated(args);
    InputFiles.RequireRows(path, "edges", commentPrefix: '#');
    int iterations = args.GetInt("iterations", 20);
    var sw = Stopwatch.StartNew();
    var edges = new CheckedRows<(long Src, long Dst)>(env, path, "edges", GraphInput.ParseEdge, CsvFormat.Whitespace, args.Has("skip-invalid"));
    await edges.ReportSkippedAsync(ct);
    // Distinct: a duplicate edge counts once, as in PageRankJob.ReadEdges.
    var ranks = await PageRankJob.BuildAsync(env, edges.Valid.Distinct(), iterations,
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
