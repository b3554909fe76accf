using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Examples;
using Dataflow.Examples.PageRank;

// PageRank: --edges F --iterations N [--damping 0.85] [--tolerance T] [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs). A line that is not two non-negative integer ids fails with path:line;
// --skip-invalid skips (and counts) such lines instead. A .parquet --edges file has int64 columns src and dst;
// a .parquet --output gets columns id and rank.
var edgesOption = SharedOptions.Edges();
var iterationsOption = CommandLineOptions.Int("--iterations", "supersteps at most", 20, 1);
var dampingOption = CommandLineOptions.Double("--damping", "the damping factor", 0.85);
var toleranceOption = CommandLineOptions.Double("--tolerance", "stops once the ranks change by less than this in a superstep, summed over the vertices (0: never)", 0);
var skipInvalidOption = SharedOptions.SkipInvalid();
var scaleOption = SharedOptions.Scale();
var command = new ExampleCommand("PageRank", "PageRank of a graph by bulk iteration: prints the vertex count, the rank sum and the top 10 ranks, or writes every rank with --output",
    "writes every vertex's rank to this file: 'id<TAB>rank' lines, or a .parquet file with columns id and rank",
    edgesOption, iterationsOption, dampingOption, toleranceOption, skipInvalidOption, scaleOption);
return await command.RunAsync(args, async (parsed, settings, ct) =>
{
    var (env, resources) = await ExampleRunner.CreateEnvironmentAsync(settings);
    await using var _ = resources;
    var path = ExampleRunner.EdgesOrGenerated(parsed.GetValue(edgesOption), parsed.GetValue(scaleOption), settings);
    bool parquet = ColumnarInput.IsParquet(path);
    if (parquet) await ColumnarInput.RequireRowsAsync(path, "edges", ct);
    else InputFiles.RequireRows(path, "edges", commentPrefix: '#');
    int iterations = parsed.GetValue(iterationsOption);
    var sw = Stopwatch.StartNew();
    DataSet<(long Src, long Dst)> edges;
    if (parquet)
    {
        edges = ColumnarInput.ReadEdges(env, path); // columns src, dst (int64); --skip-invalid applies to text inputs
    }
    else
    {
        var rows = new CheckedRows<(long Src, long Dst)>(env, path, "edges", GraphInput.ParseEdge, CsvFormat.Whitespace, parsed.GetValue(skipInvalidOption));
        await rows.ReportSkippedAsync(ct);
        edges = rows.Valid;
    }
    // Distinct: a duplicate edge counts once, as in PageRankJob.ReadEdges.
    var ranks = await PageRankJob.BuildAsync(env, edges.Distinct(), iterations,
        parsed.GetValue(dampingOption), parsed.GetValue(toleranceOption), ct);
    if (settings.Output is { } output)
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
