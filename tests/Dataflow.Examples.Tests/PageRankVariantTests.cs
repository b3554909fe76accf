using Dataflow.Examples.PageRank;

namespace Dataflow.Examples.Tests;

/// <summary>The PageRank variants (CoGroup, delta) against networkx and against <see cref="PageRankJob"/>.</summary>
public class PageRankVariantTests
{
    // The largest per-vertex error is about ε on these graphs (see BuildDeltaAsync's remarks): a wide margin under 1e-9.
    private const double DeltaEpsilon = 1e-12;

    public static TheoryData<string, int> Cases() => new()
    {
        { "karate", 1 }, { "karate", 2 }, { "karate", 4 },
        { "gnp200", 1 }, { "gnp200", 2 }, { "gnp200", 4 },
    };

    private static async Task<Dictionary<long, double>> RunAsync(string graph, int parallelism,
        Func<DataflowEnvironment, DataSet<(long Src, long Dst)>, Task<DataSet<Rank>>> build)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var ranks = await build(env, PageRankJob.ReadEdges(env, TestData.Path($"{graph}.edges")));
        return (await ranks.CollectAsync()).ToDictionary(r => r.Id, r => r.Value);
    }

    private static void AssertClose(Dictionary<long, double> expected, Dictionary<long, double> actual, double tolerance)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (v, rank) in expected) Assert.True(Math.Abs(rank - actual[v]) <= tolerance, $"vertex {v}: expected {rank}, got {actual[v]}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CoGroup_100Iterations_MatchesNetworkxTo1e9(string graph, int parallelism)
    {
        var actual = await RunAsync(graph, parallelism, (env, edges) => PageRankVariants.BuildCoGroupAsync(env, edges, 100, 0.85, 0));
        AssertClose(TestData.ReadTsvDoubles(TestData.Path($"{graph}.pagerank.tsv")), actual, 1e-9);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CoGroup_SameIterations_EqualsJoinPageRankTo1e12(string graph, int parallelism)
    {
        // Few supersteps, far from convergence, so a difference in the step would show.
        var join = await RunAsync(graph, parallelism, (env, edges) => PageRankJob.BuildAsync(env, edges, 7, 0.85, 0));
        var coGroup = await RunAsync(graph, parallelism, (env, edges) => PageRankVariants.BuildCoGroupAsync(env, edges, 7, 0.85, 0));
        AssertClose(join, coGroup, 1e-12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task CoGroup_Tolerance_StopsEarlyNearNetworkx(string graph, int parallelism)
    {
        var actual = await RunAsync(graph, parallelism, (env, edges) => PageRankVariants.BuildCoGroupAsync(env, edges, 1000, 0.85, 1e-12));
        AssertClose(TestData.ReadTsvDoubles(TestData.Path($"{graph}.pagerank.tsv")), actual, 1e-9);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Delta_RunToConvergence_MatchesNetworkxTo1e9(string graph, int parallelism)
    {
        var actual = await RunAsync(graph, parallelism, (env, edges) => PageRankVariants.BuildDeltaAsync(env, edges, 10_000, 0.85, DeltaEpsilon));
        AssertClose(TestData.ReadTsvDoubles(TestData.Path($"{graph}.pagerank.tsv")), actual, 1e-9);
    }

    [Theory]
    [InlineData("karate")]
    [InlineData("gnp200")]
    public async Task Delta_RunToConvergence_SumsToOneAndMarksDangling(string graph)
    {
        // One parallelism suffices: the networkx test above covers 1, 2 and 4.
        var env = DataflowEnvironment.CreateLocal(2);
        var edges = PageRankJob.ReadEdges(env, TestData.Path($"{graph}.edges"));
        var ranks = await (await PageRankVariants.BuildDeltaAsync(env, edges, 10_000, 0.85, DeltaEpsilon)).CollectAsync();
        var sources = File.ReadLines(TestData.Path($"{graph}.edges")).Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => long.Parse(l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[0], System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();
        Assert.True(Math.Abs(ranks.Sum(r => r.Value) - 1) <= 1e-12, $"sum {ranks.Sum(r => r.Value)}");
        Assert.All(ranks, r => Assert.Equal(!sources.Contains(r.Id), r.Dangling));
        Assert.Equal(graph == "gnp200" ? 3 : 0, ranks.Count(r => r.Dangling));
    }

    [Fact]
    public async Task Delta_LargerEpsilon_StaysWithinDocumentedBound()
    {
        // The documented L1 bound 2·d·n·ε/(1−d)², with an ε large enough that many changes are held back.
        const double epsilon = 1e-7;
        var actual = await RunAsync("gnp200", 2, (env, edges) => PageRankVariants.BuildDeltaAsync(env, edges, 10_000, 0.85, epsilon));
        var expected = TestData.ReadTsvDoubles(TestData.Path("gnp200.pagerank.tsv"));
        double l1 = expected.Sum(kv => Math.Abs(kv.Value - actual[kv.Key]));
        double bound = 2 * 0.85 * expected.Count * epsilon / (0.15 * 0.15);
        Assert.True(l1 <= bound, $"L1 {l1} above the bound {bound}");
        Assert.True(l1 > 1e-12, "the held-back changes should leave a visible error at this ε");
    }

    [Fact]
    public async Task Variants_NoEdges_ThrowInvalidData()
    {
        var env = DataflowEnvironment.CreateLocal(1);
        var none = env.FromCollection(Array.Empty<(long Src, long Dst)>());
        await Assert.ThrowsAsync<InvalidDataException>(() => PageRankVariants.BuildCoGroupAsync(env, none, 10, 0.85, 0));
        await Assert.ThrowsAsync<InvalidDataException>(() => PageRankVariants.BuildDeltaAsync(env, none, 10, 0.85, 1e-9));
    }
}
