using Dataflow.Examples.ConnectedComponents;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;

namespace Dataflow.Examples.Tests;

/// <summary>The examples' jobs against answers computed by networkx, scikit-learn and scipy.</summary>
public class ReferenceAnswerTests
{
    public static TheoryData<string, int> PageRankCases() => new()
    {
        { "karate", 1 }, { "karate", 2 }, { "karate", 4 },
        { "gnp200", 1 }, { "gnp200", 2 }, { "gnp200", 4 },
    };

    [Theory]
    [MemberData(nameof(PageRankCases))]
    public async Task PageRank_100Iterations_MatchesNetworkxTo1e9(string graph, int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var ranks = await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, TestData.Path($"{graph}.edges")), 100, 0.85, 0);
        var actual = (await ranks.CollectAsync()).ToDictionary(r => r.Id, r => r.Value);
        var expected = TestData.ReadTsvDoubles(TestData.Path($"{graph}.pagerank.tsv"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (v, rank) in expected) Assert.True(Math.Abs(rank - actual[v]) <= 1e-9, $"vertex {v}: expected {rank}, got {actual[v]}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(1, 4)]
    [InlineData(10, 1)]
    [InlineData(10, 2)]
    [InlineData(10, 4)]
    public async Task KMeans_Iris_MatchesScikitLearnTo1e9(int iterations, int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var initial = KMeansJob.ReadCentroids(TestData.Path("iris.init-centroids.csv"));
        var result = KMeansJob.Build(KMeansJob.ReadPoints(env, TestData.Path("iris.csv")), env.FromCollection(initial), iterations);
        var actual = (await result.CollectAsync()).OrderBy(c => c.Id).ToList();
        var expected = TestData.ReadCsv(TestData.Path($"iris.centroids-after-{iterations}.csv"));
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(i, actual[i].Id);
            for (int d = 0; d < expected[i].Length; d++)
            {
                Assert.True(Math.Abs(expected[i][d] - actual[i].Coordinates[d]) <= 1e-9, $"centroid {i} dim {d}: {expected[i][d]} vs {actual[i].Coordinates[d]}");
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ConnectedComponents_Gnm300_MatchesScipyExactly(int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var components = ConnectedComponentsJob.Build(env, TestData.Path("gnm300.edges"), TestData.Path("gnm300.vertices"));
        var actual = (await components.CollectAsync()).ToDictionary(v => v.Vertex, v => v.Label);
        var expected = TestData.ReadTsvLongs(TestData.Path("gnm300.components.tsv"));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (v, c) in expected) Assert.Equal(c, actual[v]);
        Assert.Equal(90, actual.Values.Distinct().Count());
    }
}
