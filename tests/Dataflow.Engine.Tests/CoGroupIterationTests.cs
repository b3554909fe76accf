using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>CoGroup in an iteration keeps the groups of a loop-invariant second side, as a join keeps its table: same answers as LINQ.</summary>
public class CoGroupIterationTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task IterateBulk_CoGroupWithLoopInvariantSideUnderRescaling_EqualsLoopOverLinq(int p)
    {
        var rng = new Random(5);
        // Keys 0..199 on the changing side; the invariant side has keys the other lacks (200..219) and misses some (every 7th).
        var edges = Enumerable.Range(0, 3_000).Select(_ => (Src: (long)rng.Next(0, 220), Dst: (long)rng.Next(0, 200))).Where(e => e.Src % 7 != 3).ToList();
        var initial = Enumerable.Range(0, 200).Select(i => (Id: (long)i, Value: 1.0)).ToList();
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = p).AddFixedElasticity(o => o.Schedule = [2, 3, 1, 4, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        var edgeSet = env.FromCollection(edges);
        var result = await env.FromCollection(initial).IterateBulk(6, (ranks, ctx) =>
            ranks.CoGroup(edgeSet, r => r.Id, e => e.Src, (id, rs, es) =>
                    rs.Count == 0 ? [(Id: -1L - id, Value: es.Count * 1.0)] : rs.Select(r => (r.Id, Value: 0.5 * r.Value + 0.01 * es.Count + es.Sum(e => e.Dst % 3))))
                .Where(x => x.Id >= 0))
            .CollectAsync();

        var expected = initial;
        var bySrc = edges.ToLookup(e => e.Src);
        for (int i = 0; i < 6; i++)
        {
            expected = expected.Select(r => (r.Id, Value: 0.5 * r.Value + 0.01 * bySrc[r.Id].Count() + bySrc[r.Id].Sum(e => e.Dst % 3))).ToList();
        }
        var actual = result.ToDictionary(r => r.Id, r => r.Value);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (id, v) in expected) Assert.Equal(v, actual[id], 1e-9);
    }

    [Fact]
    public async Task CoGroup_KeysOnOneSideOnly_EachCalledOnceWithAnEmptyOtherSide()
    {
        var env = DataflowEnvironment.CreateLocal(3);
        var left = env.FromCollection(new[] { (1, "a"), (2, "b"), (2, "c") });
        var right = env.FromCollection(new[] { (2, 20), (3, 30), (3, 31) });
        var groups = await left.CoGroup(right, l => l.Item1, r => r.Item1, (k, ls, rs) => new[] { (k, Left: ls.Count, Right: rs.Count, Names: string.Concat(ls.Select(l => l.Item2).Order())) })
            .CollectAsync();
        Assert.Equal([(1, 1, 0, "a"), (2, 2, 1, "bc"), (3, 0, 2, "")], groups.OrderBy(g => g.k));
    }
}
