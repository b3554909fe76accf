using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>A warm superstep runs the step compiled for an earlier one; a rescale compiles it again (issue #17, item 1).</summary>
public class CompiledStepTests
{
    private static async Task<(int Compiles, List<(long Id, double Value)> Result)> PageRankShapedAsync(DataflowEnvironment env, int supersteps)
    {
        var rng = new Random(7);
        var edges = env.FromCollection(Enumerable.Range(0, 2_000).Select(i => (Src: (long)(i % 200), Dst: (long)rng.Next(200))).ToList());
        var initial = env.FromCollection(Enumerable.Range(0, 200).Select(i => (Id: (long)i, Value: 1.0)).ToList());
        int before = env.PlansCompiled;
        var result = await initial.IterateBulk(supersteps, (ranks, ctx) =>
        {
            var sums = ranks.Join(edges, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * 0.1)).GroupBy(c => c.Vertex).Sum(c => c.Value);
            ctx.TerminateWhenEmpty(ranks.Where(r => r.Value >= 0)); // never empty here; its count sink is compiled once too
            return ranks.LeftOuterJoin(sums, r => r.Id, s => s.Key, (r, s) => (r.Id, Incoming: s.Sum)).Select(x => (x.Id, Value: 0.15 + 0.85 * x.Incoming));
        }).CollectAsync();
        return (env.PlansCompiled - before, result);
    }

    private static List<(long Id, double Value)> Reference(int supersteps)
    {
        var rng = new Random(7);
        var edges = Enumerable.Range(0, 2_000).Select(i => (Src: (long)(i % 200), Dst: (long)rng.Next(200))).ToList();
        var ranks = Enumerable.Range(0, 200).ToDictionary(i => (long)i, _ => 1.0);
        for (int k = 0; k < supersteps; k++)
        {
            var sums = edges.GroupBy(e => e.Dst).ToDictionary(g => g.Key, g => g.Sum(e => ranks[e.Src] * 0.1));
            ranks = ranks.ToDictionary(r => r.Key, r => 0.15 + 0.85 * sums.GetValueOrDefault(r.Key));
        }
        return ranks.Select(r => (r.Key, r.Value)).OrderBy(r => r.Key).ToList();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task IterateBulk_MoreSupersteps_CompilesTheStepNoMoreOften(int p)
    {
        var (few, a) = await PageRankShapedAsync(DataflowEnvironment.CreateLocal(p), 4);
        var (many, b) = await PageRankShapedAsync(DataflowEnvironment.CreateLocal(p), 20);
        // The initial job, the first superstep (it reads the loop-invariant edges), the second (the warm plan), the result.
        Assert.Equal(4, few);
        Assert.Equal(few, many);
        AssertClose(Reference(4), a);
        AssertClose(Reference(20), b);
    }

    [Fact]
    public async Task IterateBulk_Rescaled_CompilesForEachNewParallelismAndEqualsLoop()
    {
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = 2).AddFixedElasticity(o => o.Schedule = [2, 2, 3, 3, 3, 1, 1, 1, 2, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        var (compiles, result) = await PageRankShapedAsync(env, 10);
        // Three changes of parallelism, each compiled once more; warm supersteps in between reuse their plan.
        Assert.InRange(compiles, 5, 8);
        AssertClose(Reference(10), result);
    }

    [Fact]
    public async Task IterateDelta_MoreSupersteps_CompilesTheStepNoMoreOften()
    {
        async Task<int> Run(int length)
        {
            var env = DataflowEnvironment.CreateLocal(2);
            // A path 0 - 1 - ... - length: the label of 0 needs `length` supersteps to reach the end.
            var edges = env.FromCollection(Enumerable.Range(0, length).SelectMany(i => new[] { (Src: (long)i, Dst: (long)i + 1), (Src: (long)i + 1, Dst: (long)i) }).ToList());
            var initial = env.FromCollection(Enumerable.Range(0, length + 1).Select(i => (Vertex: (long)i, Label: (long)i)).ToList());
            int before = env.PlansCompiled;
            var labels = await initial.IterateDelta(initial, v => v.Vertex, 1_000, (solution, workset, ctx) =>
            {
                var candidates = workset.Join(edges, w => w.Vertex, e => e.Src, (w, e) => (Vertex: e.Dst, w.Label)).GroupBy(c => c.Vertex).Min(c => c.Label);
                var improved = solution.Join(candidates, c => c.Key, (c, s) => (Candidate: (Vertex: c.Key, Label: c.Min), s.Label))
                    .Where(x => x.Candidate.Label < x.Label).Select(x => x.Candidate);
                return (improved, improved);
            }).CollectAsync();
            Assert.All(labels, l => Assert.Equal(0, l.Label));
            return env.PlansCompiled - before;
        }
        Assert.Equal(await Run(5), await Run(30));
    }

    private static void AssertClose(List<(long Id, double Value)> expected, List<(long Id, double Value)> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (e, a) in expected.Zip(actual.OrderBy(r => r.Id)))
        {
            Assert.Equal(e.Id, a.Id);
            Assert.Equal(e.Value, a.Value, 1e-9);
        }
    }
}
