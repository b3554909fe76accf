using Dataflow.Runtime.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>A join fused with the combiner of the aggregation that reads it (docs/architecture.md): same answers as LINQ.</summary>
public class FusedJoinAggregateTests
{
    private static List<(long Src, long Dst, double W)> Edges(int n, int seed, bool withNegativeKeys)
    {
        var rng = new Random(seed);
        var edges = new List<(long, long, double)>();
        for (int i = 0; i < n; i++)
        {
            long src = rng.Next(0, 300);
            // Keys far out of the dense range (and negative) send the accumulators to the hash table mid-stream.
            long dst = withNegativeKeys && i % 97 == 0 ? -rng.Next(1, 1_000_000) : rng.Next(0, 400);
            edges.Add((src, dst, rng.NextDouble()));
        }
        return edges;
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public async Task JoinGroupBySum_IntegerKeys_MatchesLinq(int p, bool withNegativeKeys)
    {
        var edges = Edges(20_000, p, withNegativeKeys);
        var weights = Enumerable.Range(0, 300).Select(i => (Id: (long)i, Value: i * 0.5)).Where(x => x.Id % 5 != 0).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var sums = env.FromCollection(weights)
            .Join(env.FromCollection(edges), w => w.Id, e => e.Src, (w, e) => (Vertex: e.Dst, Value: w.Value * e.W))
            .GroupBy(c => c.Vertex)
            .Sum(c => c.Value);
        Assert.Contains("Join fused with Combine(Sum)", sums.Explain());
        var actual = (await sums.CollectAsync()).ToDictionary(x => x.Key, x => x.Sum);
        var expected = weights.Join(edges, w => w.Id, e => e.Src, (w, e) => (Vertex: e.Dst, Value: w.Value * e.W))
            .GroupBy(c => c.Vertex).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (k, v) in expected) Assert.Equal(v, actual[k], 1e-9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task JoinGroupByCountAndMin_StringKeys_MatchLinq(int p)
    {
        var people = Enumerable.Range(0, 500).Select(i => (Name: $"p{i % 120}", City: $"c{i % 17}")).ToList();
        var visits = Enumerable.Range(0, 3000).Select(i => (Name: $"p{i % 150}", Day: i % 31)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var joined = env.FromCollection(visits).Join(env.FromCollection(people), v => v.Name, q => q.Name, (v, q) => (q.City, v.Day));
        var counts = await joined.GroupBy(x => x.City).Count().CollectAsync();
        var mins = await joined.GroupBy(x => x.City).Min(x => x.Day).CollectAsync();
        var expected = visits.Join(people, v => v.Name, q => q.Name, (v, q) => (q.City, v.Day)).GroupBy(x => x.City).ToList();
        Assert.Equal(expected.Select(g => (g.Key, (long)g.Count())).Order(), counts.Order());
        Assert.Equal(expected.Select(g => (g.Key, g.Min(x => x.Day))).Order(), mins.Order());
    }

    [Fact]
    public void Explain_OuterJoinThenAggregate_IsNotFused()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var a = env.FromCollection(new[] { (1L, 2.0) });
        var plan = a.LeftOuterJoin(a, x => x.Item1, y => y.Item1, (x, y) => (x.Item1, y.Item2)).GroupBy(x => x.Item1).Sum(x => x.Item2).Explain();
        Assert.DoesNotContain("fused", plan);
        Assert.Contains("LeftOuterJoin -> Combine(Sum)", plan);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Iteration_FusedProbeOfLoopInvariantIndexUnderRescaling_EqualsLoopOverLinq(int p)
    {
        // A PageRank-like step: the edges are loop-invariant (indexed once, kept across supersteps and moved at every rescale).
        var edges = Edges(5_000, 7, withNegativeKeys: false).Where(e => e.Dst >= 0).Select(e => (e.Src, Dst: e.Dst % 300, e.W)).ToList();
        var initial = Enumerable.Range(0, 300).Select(i => (Id: (long)i, Value: 1.0 / 300)).ToList();
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = p).AddFixedElasticity(o => o.Schedule = [2, 4, 1, 3, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        var edgeSet = env.FromCollection(edges);
        var result = await env.FromCollection(initial).IterateBulk(6, (ranks, ctx) =>
        {
            var sums = ranks.Join(edgeSet, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * e.W)).GroupBy(c => c.Vertex).Sum(c => c.Value);
            return ranks.LeftOuterJoin(sums, r => r.Id, s => s.Key, (r, s) => (r.Id, Value: 0.1 + 0.5 * s.Sum));
        }).CollectAsync();

        var expected = initial;
        for (int i = 0; i < 6; i++)
        {
            var sums = expected.Join(edges, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * e.W))
                .GroupBy(c => c.Vertex).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
            expected = expected.Select(r => (r.Id, Value: 0.1 + 0.5 * sums.GetValueOrDefault(r.Id))).ToList();
        }
        var actual = result.ToDictionary(r => r.Id, r => r.Value);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (id, v) in expected) Assert.Equal(v, actual[id], 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task JoinGroupBySum_SelectorThrows_FailsNamingTheFusedOperatorAndSubtask(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var a = env.FromCollection(Enumerable.Range(0, 100).Select(i => (long)i).ToList());
        var job = a.Join(a, x => x, y => y, (x, y) => (K: x % 3, V: x))
            .GroupBy(x => x.K)
            .Sum(x => x.V == 42 ? throw new InvalidOperationException("bad record 42") : x.V);
        var e = await Assert.ThrowsAsync<JobExecutionException>(() => job.CollectAsync());
        Assert.Contains("Join+Combine(Sum)", e.Message);
        Assert.Contains("subtask", e.Message);
        Assert.IsType<InvalidOperationException>(e.InnerException?.InnerException ?? e.InnerException);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Iteration_ProbesWithDuplicateAndOutOfRangeKeys_EqualsLoopOverLinq(int p)
    {
        // The probes of the kept index are gathered and folded in key order: two probes of one key, keys past the index's
        // range and negative keys must all come out as LINQ's join says.
        var rng = new Random(11);
        var edges = Enumerable.Range(0, 4_000).Select(_ => (Src: (long)rng.Next(0, 500), Dst: (long)rng.Next(0, 500), W: rng.NextDouble())).ToList();
        var initial = Enumerable.Range(0, 500).Select(i => (Id: (long)i, Value: 1.0 / 500))
            .Concat(Enumerable.Range(0, 100).Select(i => (Id: (long)i * 3, Value: 0.25)))
            .Concat([(Id: 5_000_000L, Value: 1.0), (Id: -7L, Value: 1.0)]).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var edgeSet = env.FromCollection(edges);
        var result = await env.FromCollection(initial).IterateBulk(4, (ranks, ctx) =>
        {
            var sums = ranks.Join(edgeSet, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * e.W)).GroupBy(c => c.Vertex).Sum(c => c.Value);
            return ranks.LeftOuterJoin(sums, r => r.Id, s => s.Key, (r, s) => (r.Id, Value: 0.1 * r.Value + 0.5 * s.Sum));
        }).CollectAsync();

        var expected = initial;
        for (int i = 0; i < 4; i++)
        {
            var sums = expected.Join(edges, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * e.W))
                .GroupBy(c => c.Vertex).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
            expected = expected.Select(r => (r.Id, Value: 0.1 * r.Value + 0.5 * sums.GetValueOrDefault(r.Id))).ToList();
        }
        Assert.Equal(expected.Count, result.Count);
        var actual = result.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.Select(r => r.Value).Order().ToList());
        foreach (var g in expected.GroupBy(r => r.Id))
        {
            var want = g.Select(r => r.Value).Order().ToList();
            Assert.Equal(want.Count, actual[g.Key].Count);
            for (int i = 0; i < want.Count; i++) Assert.Equal(want[i], actual[g.Key][i], 1e-12);
        }
    }
}
