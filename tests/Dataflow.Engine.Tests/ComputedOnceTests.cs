using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>
/// A node that an iteration's initial input and its step's loop-invariant input both read is computed once: the initial
/// job keeps it, the first superstep reads it from memory (connected components read and deduplicated its edges three times).
/// </summary>
public class ComputedOnceTests
{
    private static List<(long Src, long Dst)> Graph(int seed)
    {
        var rng = new Random(seed);
        // Several components over 0..299 (ids 300..319 never appear), duplicates and self-loops included.
        return Enumerable.Range(0, 900).Select(_ =>
        {
            long a = rng.Next(0, 300);
            long b = a % 5 == 0 ? a : (a / 60) * 60 + rng.Next(0, 60);
            return (Src: a, Dst: b);
        }).ToList();
    }

    /// <summary>The smallest id reachable from each vertex, by a plain union-find.</summary>
    private static Dictionary<long, long> Components(IEnumerable<(long Src, long Dst)> edges)
    {
        var parent = new Dictionary<long, long>();
        long Find(long x)
        {
            parent.TryAdd(x, x);
            while (parent[x] != x) x = parent[x] = parent[parent[x]];
            return x;
        }
        foreach (var (a, b) in edges.Where(e => e.Src != e.Dst))
        {
            long ra = Find(a), rb = Find(b);
            if (ra != rb) parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
        return parent.Keys.ToList().ToDictionary(v => v, Find);
    }

    private static DataSet<(long Vertex, long Label)> ComponentsJob(DataSet<(long Src, long Dst)> rows)
    {
        var edges = rows.SelectMany(e => new[] { (Src: e.Src, Dst: e.Dst), (Src: e.Dst, Dst: e.Src) }).Where(e => e.Src != e.Dst).Distinct();
        var initial = edges.Select(e => e.Src).Distinct().Select(v => (Vertex: v, Label: v));
        return initial.IterateDelta(initial, v => v.Vertex, 100, (solution, workset, ctx) =>
        {
            var candidates = workset.Join(edges, w => w.Vertex, e => e.Src, (w, e) => (Vertex: e.Dst, w.Label))
                .GroupBy(c => c.Vertex).Reduce((a, b) => a.Label <= b.Label ? a : b);
            var improved = solution.Join(candidates, c => c.Vertex, (c, current) => (Candidate: c, Current: current.Label))
                .Where(x => x.Candidate.Label < x.Current).Select(x => x.Candidate);
            return (improved, improved);
        }, "components");
    }

    /// <summary>Runs the components of <paramref name="graph"/> in <paramref name="env"/>: the rows are read once, the labels are union-find's.</summary>
    private static async Task AssertReadOnceAndEqualUnionFindAsync(DataflowEnvironment env, List<(long Src, long Dst)> graph)
    {
        int reads = 0;
        var rows = env.FromCollection(graph).Select(e =>
        {
            Interlocked.Increment(ref reads);
            return e;
        });
        var result = await ComponentsJob(rows).CollectAsync();

        // Before, the rows were read by the solution's job, the workset's job and the first superstep: three times.
        Assert.Equal(graph.Count, reads);
        var expected = Components(graph);
        Assert.Equal(expected.Count, result.Count);
        foreach (var (v, label) in result) Assert.Equal(expected[v], label);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public Task IterateDelta_InitialAndStepReadTheSameEdges_ReadsThemOnceAndEqualsUnionFind(int p) =>
        AssertReadOnceAndEqualUnionFindAsync(DataflowEnvironment.CreateLocal(p), Graph(p));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public Task IterateDelta_RescaledBeforeTheFirstSuperstep_StillReadsTheKeptEdges(int p)
    {
        var services = new ServiceCollection();
        // The first parallelism differs from the one the edges were kept at: they are exchanged to the step's subtasks.
        services.AddDataflow(o => o.Parallelism = p).AddFixedElasticity(o => o.Schedule = [2, 4, 1, 3]);
        return AssertReadOnceAndEqualUnionFindAsync(services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>(), Graph(10 + p));
    }

    [Fact]
    public async Task IterateBulk_StepReadsANodeTheInitialInputReads_ComputesItOnceEqualsLinq()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        int reads = 0;
        var weights = env.FromCollection(Enumerable.Range(0, 500).Select(i => (Key: i % 50, W: i)).ToList())
            .Select(x =>
            {
                Interlocked.Increment(ref reads);
                return x;
            })
            .GroupBy(x => x.Key).Sum(x => (long)x.W);
        var initial = weights.Select(w => (w.Key, Value: 0L));
        var result = await initial.IterateBulk(4, (s, ctx) =>
            s.Join(weights, a => a.Key, w => w.Key, (a, w) => (a.Key, Value: a.Value + w.Sum))).CollectAsync();

        Assert.Equal(500, reads);
        var sums = Enumerable.Range(0, 500).GroupBy(i => i % 50).ToDictionary(g => g.Key, g => g.Sum(i => (long)i));
        Assert.Equal(sums.OrderBy(x => x.Key).Select(x => (x.Key, 4 * x.Value)), result.OrderBy(r => r.Key));
    }

    [Fact]
    public async Task IterateBulk_StepJoinsASourceTheInitialInputReads_EqualsLinq()
    {
        // A source reads again what it read (nothing to keep); the answer is the same.
        var env = DataflowEnvironment.CreateLocal(2);
        var numbers = env.FromCollection(Enumerable.Range(0, 100).Select(i => (long)i).ToList());
        var result = await numbers.Select(n => (Key: n, Value: 1L)).IterateBulk(3, (s, ctx) =>
            s.Join(numbers, a => a.Key, n => n, (a, n) => (a.Key, Value: a.Value * 2))).CollectAsync();
        Assert.Equal(Enumerable.Range(0, 100).Select(i => ((long)i, 8L)), result.OrderBy(r => r.Key));
    }
}
