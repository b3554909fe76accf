using Dataflow.Operators.Sources;

namespace Dataflow.Examples.ConnectedComponents;

/// <summary>A vertex and the smallest vertex id known to be in its component.</summary>
public readonly record struct VertexLabel(long Vertex, long Label);

/// <summary>Connected components by min-label propagation as a delta iteration.</summary>
public static class ConnectedComponentsJob
{
    /// <summary>Builds the components of the undirected graph in <paramref name="edgesPath"/> plus the isolated vertices in <paramref name="verticesPath"/>.</summary>
    /// <remarks>Both files hold non-negative integer ids separated by whitespace; any other line fails the job with <c>path:line</c>.</remarks>
    public static DataSet<VertexLabel> Build(DataflowEnvironment env, string edgesPath, string? verticesPath, int maxIterations = int.MaxValue) =>
        Build(env.ReadCsv(edgesPath, GraphInput.ParseEdge, CsvFormat.Whitespace),
            verticesPath is null ? null : env.ReadCsv(verticesPath, GraphInput.ParseVertex, CsvFormat.Whitespace),
            maxIterations);

    /// <summary>Builds the components of the undirected graph of <paramref name="edgeRows"/> plus the isolated vertices in <paramref name="vertexRows"/>.</summary>
    public static DataSet<VertexLabel> Build(DataSet<(long Src, long Dst)> edgeRows, DataSet<long>? vertexRows, int maxIterations = int.MaxValue)
    {
        var edges = edgeRows
            .SelectMany(e => new[] { (Src: e.Src, Dst: e.Dst), (Src: e.Dst, Dst: e.Src) })
            .Where(e => e.Src != e.Dst)
            .Distinct();
        var vertices = edges.Select(e => e.Src);
        if (vertexRows is not null) vertices = vertices.Union(vertexRows);
        var initial = vertices.Distinct().Select(v => new VertexLabel(v, v));

        return initial.IterateDelta(initial, v => v.Vertex, maxIterations, (solution, workset, ctx) =>
        {
            // Each changed vertex offers its label to its neighbours; the edges are loop-invariant.
            var candidates = workset
                .Join(edges, w => w.Vertex, e => e.Src, (w, e) => new VertexLabel(e.Dst, w.Label))
                .GroupBy(c => c.Vertex)
                .Reduce((a, b) => a.Label <= b.Label ? a : b);
            var improved = solution
                .Join(candidates, c => c.Vertex, (c, current) => (Candidate: c, Current: current.Label))
                .Where(x => x.Candidate.Label < x.Current)
                .Select(x => x.Candidate);
            return (improved, improved);
        }, "components");
    }
}
