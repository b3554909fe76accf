using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>
/// A join on an aggregation's key probes the aggregation's own table (no aggregate records, no second table, no task between
/// them; docs/architecture.md §3): the same answers as LINQ's aggregate then join.
/// </summary>
public class AggregateProbeTests
{
    private static List<(long Key, double Value)> Contributions(int n, int seed, bool farKeys)
    {
        var rng = new Random(seed);
        // Keys far out of the dense range (and negative) move the aggregation's table from its dense array to hashing.
        return Enumerable.Range(0, n).Select(i => (Key: farKeys && i % 89 == 0 ? -rng.NextInt64(1, 1L << 40) : rng.Next(0, 500), Value: rng.NextDouble())).ToList();
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(3, true)]
    public async Task LeftOuterJoinOnSum_Keys_EqualsLinqAndProbesTheTable(int p, bool farKeys)
    {
        var contributions = Contributions(20_000, p, farKeys);
        // Vertices 0..599: some have no contributions (outer), some contributions have no vertex (dropped).
        var vertices = Enumerable.Range(0, 600).Select(i => (Id: (long)i, Old: i * 0.25)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var sums = env.FromCollection(contributions).GroupBy(c => c.Key).Sum(c => c.Value);
        var joined = env.FromCollection(vertices).LeftOuterJoin(sums, v => v.Id, s => s.Key, (v, s) => (v.Id, Next: v.Old + s.Sum));
        var plan = joined.Explain();
        Assert.Contains("Sum+LeftOuterJoin", plan);
        Assert.Contains("LeftOuterJoin probes Sum's table", plan);

        var bySum = contributions.GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Sum(c => c.Value));
        var expected = vertices.Select(v => (v.Id, Next: v.Old + bySum.GetValueOrDefault(v.Id))).ToDictionary(x => x.Id, x => x.Next);
        var actual = await joined.CollectAsync();
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (id, next) in actual) Assert.Equal(expected[id], next, 1e-9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task JoinOnCountWithStringKeys_EqualsLinq(int p)
    {
        var words = Enumerable.Range(0, 5_000).Select(i => $"w{i * 7 % 311}").ToList();
        var wanted = Enumerable.Range(0, 400).Select(i => (Word: $"w{i}", Weight: i)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var counts = env.FromCollection(words).GroupBy(w => w).Count();
        var joined = env.FromCollection(wanted).Join(counts, x => x.Word, c => c.Key, (x, c) => (x.Word, Score: x.Weight * c.Count));
        Assert.Contains("Join probes Count's table", joined.Explain());
        var expected = wanted.Join(words.GroupBy(w => w), x => x.Word, g => g.Key, (x, g) => (x.Word, Score: (long)x.Weight * g.Count())).OrderBy(x => x.Word).ToList();
        var actual = (await joined.CollectAsync()).OrderBy(x => x.Word).ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Aggregation_ReadTwice_IsNotTakenByTheJoin()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var sums = env.FromCollection(Contributions(2_000, 5, farKeys: false)).GroupBy(c => c.Key).Sum(c => c.Value);
        var joined = env.FromCollection(Enumerable.Range(0, 500).Select(i => (long)i).ToList()).Join(sums, v => v, s => s.Key, (v, s) => s.Sum);
        var both = joined.Union(sums.Select(s => -s.Sum));
        Assert.DoesNotContain("probes", both.Explain());
        var total = (await both.CollectAsync()).Sum();
        Assert.Equal(0, total, 1e-6); // every sum once joined, once negated
    }

    [Fact]
    public void FullOuterJoinOnSum_IsNotTakenByTheJoin()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var sums = env.FromCollection(Contributions(100, 6, farKeys: false)).GroupBy(c => c.Key).Sum(c => c.Value);
        var plan = env.FromCollection(Enumerable.Range(0, 10).Select(i => (long)i).ToList())
            .FullOuterJoin(sums, v => v, s => s.Key, (v, s) => s.Sum).Explain();
        Assert.DoesNotContain("probes", plan);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task IterateBulk_OuterJoinOnSumUnderRescaling_EqualsLoop(int p)
    {
        var rng = new Random(11);
        var edges = Enumerable.Range(0, 3_000).Select(_ => (Src: (long)rng.Next(200), Dst: (long)rng.Next(200))).ToList();
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = p).AddFixedElasticity(o => o.Schedule = [2, 3, 1, 4, 2, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        var edgeSet = env.FromCollection(edges);
        var result = await env.FromCollection(Enumerable.Range(0, 200).Select(i => (Id: (long)i, Value: 1.0)).ToList()).IterateBulk(6, (ranks, ctx) =>
        {
            var sums = ranks.Join(edgeSet, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * 0.05)).GroupBy(c => c.Vertex).Sum(c => c.Value);
            return ranks.LeftOuterJoin(sums, r => r.Id, s => s.Key, (r, s) => (r.Id, Value: 0.15 + 0.85 * s.Sum));
        }).CollectAsync();

        var expected = Enumerable.Range(0, 200).ToDictionary(i => (long)i, _ => 1.0);
        for (int k = 0; k < 6; k++)
        {
            var sums = edges.GroupBy(e => e.Dst).ToDictionary(g => g.Key, g => g.Sum(e => expected[e.Src] * 0.05));
            expected = expected.ToDictionary(r => r.Key, r => 0.15 + 0.85 * sums.GetValueOrDefault(r.Key));
        }
        Assert.Equal(expected.Count, result.Count);
        foreach (var (id, value) in result) Assert.Equal(expected[id], value, 1e-9);
    }

    [Fact]
    public async Task ReduceThenJoin_ReduceThrows_FailsNamingTheFusedOperator()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var reduced = env.FromCollection(Enumerable.Range(0, 1_000).Select(i => (Key: i % 50, V: i)).ToList())
            .GroupBy(x => x.Key).Reduce((a, b) => a.V == 940 || b.V == 940 ? throw new InvalidOperationException("reduce boom") : (a.Key, a.V + b.V));
        var job = env.FromCollection(Enumerable.Range(0, 50).ToList()).Join(reduced, k => k, r => r.Key, (k, r) => r.V).CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job);
        Assert.Contains("reduce boom", ex.Message);
        Assert.Contains("Reduce", ex.OperatorName);
    }
}
