using Dataflow.Operators.Sources;

namespace Dataflow.Examples.ConnectedComponents;

/// <summary>A vertex and the smallest vertex id known to be in its component.</summary>
public readonly record struct VertexLabel(long Vertex, long Label);

/// <summary>Connected components by min-label propagation as a delta iteration.</summary>
public static class ConnectedComponentsJob
{
    /// <summary>Builds the components of the undirected graph in <paramref name="edgesPath"/> plus the isolated vertices in <paramref name="verticesPath"/>.</summary>
    public static DataSet<VertexLabel> Build(DataflowEnvironment env, string edgesPath, string? verticesPath, int maxIterations = int.MaxValue)
    {
        var edges = env.ReadCsv(edgesPath, row =>
            {
                row.ExpectFields(2);
                return (row.GetInt64(0), row.GetInt64(1));
            }, CsvFormat.Whitespace)
            .SelectMany(e => new[] { (Src: e.Item1, Dst: e.Item2), (Src: e.Item2, Dst: e.Item1) })
            .Where(e => e.Src != e.Dst)
            .Distinct();
        var vertices = edges.Select(e => e.Src);
        if (verticesPath is not null)
        {
            vertices = vertices.Union(env.ReadCsv(verticesPath, row =>
            {
                row.ExpectFields(1);
                return row.GetInt64(0);
            }, CsvFormat.Whitespace));
        }
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
