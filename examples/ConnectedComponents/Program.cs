using System.Diagnostics;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Examples;
using Dataflow.Examples.ConnectedComponents;

// ConnectedComponents: --edges F [--vertices F] [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --edges it runs on a generated R-MAT graph (--scale, default 16), kept in --data-dir DIR or the per-user
// cache folder (~/.cache/dataflow/inputs). A line that is not non-negative integer ids (two per edge, one per
// vertex) fails with path:line; --skip-invalid skips (and counts) such lines instead. A .parquet --edges file has
// int64 columns src and dst; a .parquet --output gets columns vertex and label.
var edgesOption = SharedOptions.Edges();
var verticesOption = new System.CommandLine.Option<string>("--vertices") { Description = "vertices without edges too: one non-negative integer id per line" };
var iterationsOption = CommandLineOptions.Int("--iterations", "supersteps at most (default: until no label changes)", int.MaxValue, 1);
var skipInvalidOption = SharedOptions.SkipInvalid();
var scaleOption = SharedOptions.Scale();
var command = new ExampleCommand("ConnectedComponents", "connected components of a graph by delta iteration (min-label propagation): prints the component count and the 5 largest, or writes every vertex's label with --output",
    "writes every vertex's component label to this file: 'vertex<TAB>label' lines, or a .parquet file with columns vertex and label",
    edgesOption, verticesOption, iterationsOption, skipInvalidOption, scaleOption);
return await command.RunAsync(args, async (parsed, settings, ct) =>
{
    var (env, resources) = await ExampleRunner.CreateEnvironmentAsync(settings);
    await using var _ = resources;
    bool skipInvalid = parsed.GetValue(skipInvalidOption);
    var path = ExampleRunner.EdgesOrGenerated(parsed.GetValue(edgesOption), parsed.GetValue(scaleOption), settings);
    bool parquet = ColumnarInput.IsParquet(path);
    if (parquet) await ColumnarInput.RequireRowsAsync(path, "edges", ct);
    else InputFiles.RequireRows(path, "edges", commentPrefix: '#');
    var edges = parquet ? null : new CheckedRows<(long Src, long Dst)>(env, path, "edges", GraphInput.ParseEdge, CsvFormat.Whitespace, skipInvalid);
    CheckedRows<long>? vertices = null;
    if (parsed.GetValue(verticesOption) is { } verticesPath)
    {
        InputFiles.RequireRows(verticesPath, "vertices", commentPrefix: '#');
        vertices = new CheckedRows<long>(env, verticesPath, "vertices", GraphInput.ParseVertex, CsvFormat.Whitespace, skipInvalid);
    }
    var sw = Stopwatch.StartNew();
    if (edges is not null) await edges.ReportSkippedAsync(ct);
    if (vertices is not null) await vertices.ReportSkippedAsync(ct);
    var components = ConnectedComponentsJob.Build(edges?.Valid ?? ColumnarInput.ReadEdges(env, path), vertices?.Valid, parsed.GetValue(iterationsOption));
    if (settings.Output is { } output)
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
