using System.Diagnostics;
using System.Globalization;
using Dataflow;
using Dataflow.Examples;
using Dataflow.Examples.PageRank;

// PageRank: --edges F --iterations N [--damping 0.85] [--tolerance T] [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs). A line that is not two non-negative integer ids fails with path:line;
// --skip-invalid skips (and counts) such lines instead. A .parquet --edges file has int64 columns src and dst;
// a .parquet --output gets columns id and rank.
var commandLine = args; // top-level args: also right when the launcher runs the program in its own process
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(commandLine, ["skip-invalid"], "edges", "iterations", "damping", "tolerance", "scale");
    var (env, stats) = ExampleRunner.CreateEnvironment(args);
    using var _ = stats;
    var path = ExampleRunner.EdgesOrGenerated(args);
    bool parquet = ColumnarInput.IsParquet(path);
    if (parquet) await ColumnarInput.RequireRowsAsync(path, "edges", ct);
    else InputFiles.RequireRows(path, "edges", commentPrefix: '#');
    int iterations = args.GetInt("iterations", 20);
    var sw = Stopwatch.StartNew();
    DataSet<(long Src, long Dst)> edges;
    if (parquet)
    {
        edges = ColumnarInput.ReadEdges(env, path); // columns src, dst (int64); --skip-invalid applies to text inputs
    }
    else
    {
        var rows = new CheckedRows<(long Src, long Dst)>(env, path, "edges", GraphInput.ParseEdge, CsvFormat.Whitespace, args.Has("skip-invalid"));
        await rows.ReportSkippedAsync(ct);
        edges = rows.Valid;
    }
    // Distinct: a duplicate edge counts once, as in PageRankJob.ReadEdges.
    var ranks = await PageRankJob.BuildAsync(env, edges.Distinct(), iterations,
        args.GetDouble("damping", 0.85), args.GetDouble("tolerance", 0), ct);
    if (args.Get("output") is { } output)
    {
        if (ColumnarInput.IsParquet(output)) await ranks.Select(r => (r.Id, r.Value)).WriteParquetAsync(output, ["id", "rank"], cancellationToken: ct);
        else await ranks.WriteTextAsync(output, r => string.Create(CultureInfo.InvariantCulture, $"{r.Id}\t{r.Value:R}"), ct);
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
