using System.Diagnostics;
using Dataflow;
using Dataflow.Examples;
using Dataflow.Examples.ConnectedComponents;

// ConnectedComponents: --edges F [--vertices F] [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs). A line that is not non-negative integer ids (two per edge, one per
// vertex) fails with path:line; --skip-invalid skips (and counts) such lines instead. A .parquet --edges file has
// int64 columns src and dst; a .parquet --output gets columns vertex and label.
var commandLine = args; // top-level args: also right when the launcher runs the program in its own process
return await ExampleArgs.RunAsync(async ct =>
{
    var args = ExampleArgs.Parse(commandLine, ["skip-invalid"], "edges", "vertices", "scale", "iterations");
    var (env, stats) = ExampleRunner.CreateEnvironment(args);
    using var _ = stats;
    bool skipInvalid = args.Has("skip-invalid");
    var path = ExampleRunner.EdgesOrGenerated(args);
    bool parquet = ColumnarInput.IsParquet(path);
    if (parquet) await ColumnarInput.RequireRowsAsync(path, "edges", ct);
    else InputFiles.RequireRows(path, "edges", commentPrefix: '#');
    var edges = parquet ? null : new CheckedRows<(long Src, long Dst)>(env, path, "edges", GraphInput.ParseEdge, CsvFormat.Whitespace, skipInvalid);
    CheckedRows<long>? vertices = null;
    if (args.Get("vertices") is { } verticesPath)
    {
        InputFiles.RequireRows(verticesPath, "vertices", commentPrefix: '#');
        vertices = new CheckedRows<long>(env, verticesPath, "vertices", GraphInput.ParseVertex, CsvFormat.Whitespace, skipInvalid);
    }
    var sw = Stopwatch.StartNew();
    if (edges is not null) await edges.ReportSkippedAsync(ct);
    if (vertices is not null) await vertices.ReportSkippedAsync(ct);
    var components = ConnectedComponentsJob.Build(edges?.Valid ?? ColumnarInput.ReadEdges(env, path), vertices?.Valid, args.GetInt("iterations", int.MaxValue));
    if (args.Get("output") is { } output)
    {
        if (ColumnarInput.IsParquet(output)) await components.WriteParquetAsync(output, ["vertex", "label"], cancellationToken: ct);
        else await components.WriteTextAsync(output, v => $"{v.Vertex}\t{v.Label}", ct);
        Console.WriteLine($"wrote {output} in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
    }
    else
    {
        var all = await components.CollectAsync(ct);
        var sizes = all.GroupBy(v => v.Label).Select(g => (Component: g.Key, Size: g.Count())).OrderByDescending(c => c.Size).ThenBy(c => c.Component).ToList();
        Console.WriteLine($"{all.Count} vertices in {sizes.Count} components, {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
        foreach (var (component, size) in sizes.Take(5)) Console.WriteLine($"component {component}\t{size} vertices");
    }
});
