using Dataflow.Elasticity.Policies;
using Dataflow.Examples.ConnectedComponents;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;
using Dataflow.Runtime.Statistics;
using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Examples.Tests;

/// <summary>
/// Rescaling inside running iterations (docs/architecture.md §8): under fixed schedules the examples must give
/// the same results as static runs, with every move reported as a <c>rescale</c> event.
/// </summary>
public class RescaleTests
{
    private sealed class Recorder : IDataflowObserver
    {
        public List<RescaleEvent> Rescales { get; } = new();

        public List<int> Parallelism { get; } = new();

        public void OnRescale(RescaleEvent rescale) => Rescales.Add(rescale);

        public void OnSuperstep(SuperstepStatistics superstep) => Parallelism.Add(superstep.Parallelism);
    }

    private static (DataflowEnvironment Env, Recorder Recorder) Elastic(int parallelism, params int[] schedule)
    {
        var recorder = new Recorder();
        var env = DataflowEnvironment.CreateLocal(parallelism)
            .UseElasticity(new FixedPolicy(new FixedPolicyOptions { Schedule = schedule }))
            .AddObserver(recorder);
        return (env, recorder);
    }

    public static TheoryData<int[]> Schedules() => new() { new[] { 1, 4, 2, 3 }, new[] { 3, 1, 2 }, new[] { 2, 5, 1, 4, 3, 2 } };

    [Theory]
    [MemberData(nameof(Schedules))]
    public async Task PageRank_FixedSchedule_EqualsStaticRunTo1e12(int[] schedule)
    {
        var edges = TestData.Path("gnp200.edges");
        var staticEnv = DataflowEnvironment.CreateLocal(2);
        var expected = (await (await PageRankJob.BuildAsync(staticEnv, PageRankJob.ReadEdges(staticEnv, edges), 30, 0.85, 0)).CollectAsync())
            .ToDictionary(r => r.Id, r => r.Value);
        var (env, recorder) = Elastic(2, schedule);
        var actual = (await (await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, edges), 30, 0.85, 0)).CollectAsync())
            .ToDictionary(r => r.Id, r => r.Value);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (v, r) in expected) Assert.True(Math.Abs(r - actual[v]) <= 1e-12, $"vertex {v}: static {r:R}, rescaled {actual[v]:R}");
        Assert.Equal(schedule.Concat(Enumerable.Repeat(schedule[^1], 30 - schedule.Length)), recorder.Parallelism);
        Assert.Equal(schedule.Zip(schedule.Skip(1)).Count(x => x.First != x.Second) + (schedule[0] != 2 ? 1 : 0), recorder.Rescales.Count);
        Assert.All(recorder.Rescales, e => Assert.Equal("fixed", e.Policy));
    }

    [Fact]
    public async Task KMeans_FixedSchedule1423_EqualsStaticRunTo1e12()
    {
        var initial = KMeansJob.ReadCentroids(TestData.Path("iris.init-centroids.csv"));
        var staticEnv = DataflowEnvironment.CreateLocal(2);
        var expected = (await KMeansJob.Build(KMeansJob.ReadPoints(staticEnv, TestData.Path("iris.csv")), staticEnv.FromCollection(initial), 10).CollectAsync())
            .OrderBy(c => c.Id).ToList();
        var (env, recorder) = Elastic(2, 1, 4, 2, 3);
        var actual = (await KMeansJob.Build(KMeansJob.ReadPoints(env, TestData.Path("iris.csv")), env.FromCollection(initial), 10).CollectAsync())
            .OrderBy(c => c.Id).ToList();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            for (int d = 0; d < expected[i].Coordinates.Length; d++)
            {
                Assert.True(Math.Abs(expected[i].Coordinates[d] - actual[i].Coordinates[d]) <= 1e-12, $"centroid {i} dim {d}");
            }
        }
        Assert.Equal([1, 4, 2, 3, 3, 3, 3, 3, 3, 3], recorder.Parallelism);
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public async Task ConnectedComponents_FixedSchedule_EqualsScipyExactly(int[] schedule)
    {
        var (env, recorder) = Elastic(2, schedule);
        var components = ConnectedComponentsJob.Build(env, TestData.Path("gnm300.edges"), TestData.Path("gnm300.vertices"));
        var actual = (await components.CollectAsync()).ToDictionary(c => c.Vertex, c => c.Label);
        var expected = TestData.ReadTsvLongs(TestData.Path("gnm300.components.tsv"));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (v, c) in expected) Assert.Equal(c, actual[v]);
        Assert.Equal(schedule.Take(recorder.Parallelism.Count), recorder.Parallelism.Take(schedule.Length));
        Assert.NotEmpty(recorder.Rescales);
    }
}

/// <summary>Policies registered through dependency injection reach the environment.</summary>
public class ElasticityRegistrationTests
{
    [Fact]
    public async Task AddFixedElasticity_ThroughBuilder_EnvironmentRescalesBySchedule()
    {
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = 2).AddFixedElasticity(o => o.Schedule = [3, 1]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        Assert.IsType<FixedPolicy>(env.ElasticityPolicy);
        var seen = new List<int>();
        env.AddObserver(new ParallelismRecorder(seen));
        var result = await env.FromCollection(Enumerable.Range(0, 100).ToList())
            .IterateBulk(4, (xs, _) => xs.Select(x => x + 1))
            .CollectAsync();
        Assert.Equal(Enumerable.Range(4, 100), result.Order());
        Assert.Equal([3, 1, 1, 1], seen);
    }

    private sealed class ParallelismRecorder(List<int> seen) : IDataflowObserver
    {
        public void OnSuperstep(SuperstepStatistics superstep) => seen.Add(superstep.Parallelism);
    }
}
