using Dataflow.Operators.Sources;

namespace Dataflow.Examples.PageRank;

/// <summary>A vertex's rank in the partial solution; <see cref="Dangling"/> marks vertices without out-edges.</summary>
public readonly record struct Rank(long Id, double Value, bool Dangling);

/// <summary>An edge weighted by 1 / out-degree of its source.</summary>
public readonly record struct WeightedEdge(long Src, long Dst, double Weight);

/// <summary>
/// PageRank as a bulk iteration, with networkx's semantics: a vertex without out-edges spreads its
/// rank evenly over all vertices; duplicate edges count once.
/// </summary>
public static class PageRankJob
{
    /// <summary>Reads <c>src dst</c> lines (non-negative ids, whitespace-separated, <c>#</c> comments), without duplicates; any other line fails the job with <c>path:line</c>.</summary>
    public static DataSet<(long Src, long Dst)> ReadEdges(DataflowEnvironment env, string path) =>
        env.ReadCsv(path, GraphInput.ParseEdge, CsvFormat.Whitespace).Distinct();

    /// <summary>The vertices of <paramref name="edges"/>, their number and each source's out-degree: where every PageRank here starts.</summary>
    /// <exception cref="InvalidDataException">There are no edges (every rank would be 1/0).</exception>
    internal static async Task<(DataSet<long> Vertices, long Count, DataSet<(long Key, long Count)> OutDegrees)> VerticesAsync(
        DataSet<(long Src, long Dst)> edges, CancellationToken ct)
    {
        var vertices = edges.SelectMany(e => new[] { e.Src, e.Dst }).Distinct();
        long n = await vertices.CountAsync(ct);
        if (n == 0) throw new InvalidDataException("PageRank needs at least one edge; the graph has none");
        return (vertices, n, edges.GroupBy(e => e.Src).Count());
    }

    /// <summary>A vertex's next rank from what reached it along edges and the dangling mass spread over all <paramref name="n"/> vertices; adds its change to <paramref name="delta"/>.</summary>
    internal static Rank Next(Rank old, double incoming, IReadOnlyList<double> dangling, long n, double teleport, double damping, Aggregator<double> delta)
    {
        double spread = dangling[0] / n;
        double value = teleport + damping * (incoming + spread);
        delta.Add(Math.Abs(value - old.Value));
        return old with { Value = value };
    }

    /// <summary>Builds the ranks after at most <paramref name="iterations"/> supersteps.</summary>
    /// <param name="env">The environment.</param>
    /// <param name="edges">The distinct edges.</param>
    /// <param name="iterations">Maximum supersteps.</param>
    /// <param name="damping">Damping factor (0.85).</param>
    /// <param name="tolerance">Stop once the L1 change of the ranks in a superstep is below this (0: never).</param>
    /// <param name="ct">Stops the jobs.</param>
    /// <exception cref="InvalidDataException">There are no edges.</exception>
    public static async Task<DataSet<Rank>> BuildAsync(DataflowEnvironment env, DataSet<(long Src, long Dst)> edges,
        int iterations, double damping, double tolerance, CancellationToken ct = default)
    {
        var (vertices, n, outDegrees) = await VerticesAsync(edges, ct);
        var weighted = edges.Join(outDegrees, e => e.Src, d => d.Key, (e, d) => new WeightedEdge(e.Src, e.Dst, 1.0 / d.Count));
        var initial = vertices.LeftOuterJoin(outDegrees, v => v, d => d.Key, (v, d) => new Rank(v, 1.0 / n, d.Count == 0));
        double teleport = (1 - damping) / n;

        return initial.IterateBulk(iterations, (ranks, ctx) =>
        {
            var delta = ctx.Sum("delta");
            // The edges are loop-invariant: the join keeps their hash table across supersteps.
            var contributions = ranks
                .Join(weighted, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * e.Weight))
                .GroupBy(c => c.Vertex)
                .Sum(c => c.Value);
            // One value per subtask, merged in one and broadcast: no keyed exchange for a single number.
            var danglingMass = ranks.Where(r => r.Dangling).Aggregate(0.0, (s, r) => s + r.Value, (a, b) => a + b);
            var next = ranks
                .LeftOuterJoin(contributions, r => r.Id, c => c.Key, (r, c) => (Old: r, Incoming: c.Sum))
                .WithBroadcast(danglingMass)
                .Select((x, dangling) => Next(x.Old, x.Incoming, dangling, n, teleport, damping, delta));
            if (tolerance > 0) ctx.ConvergeWhen(() => delta.Value < tolerance);
            return next;
        }, "pagerank");
    }
}
