using System.Diagnostics;
using System.Globalization;
using Dataflow.Examples.ConnectedComponents;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;

namespace Dataflow.Examples.Tests;

/// <summary>
/// The examples' jobs stopped in the middle (a failure, a cancellation) and run again with <c>ResumeFrom</c>: they go on
/// from the last complete checkpoint and end with the reference answers of networkx, scikit-learn and scipy.
/// </summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Stops the program at the barrier of a chosen superstep: throws, or cancels the job.</summary>
    private sealed class StopAt(int superstep, CancellationTokenSource? cancel = null) : IDataflowObserver
    {
        public void OnSuperstep(SuperstepStatistics s)
        {
            if (s.Superstep != superstep) return;
            if (cancel is null) throw new InvalidOperationException($"stopped at superstep {superstep}");
            cancel.Cancel();
        }
    }

    private sealed class Recoveries : IDataflowObserver
    {
        public List<RecoveryEvent> Events { get; } = new();

        public List<int> Supersteps { get; } = new();

        public void OnRecovery(RecoveryEvent recovery) => Events.Add(recovery);

        public void OnSuperstep(SuperstepStatistics s) => Supersteps.Add(s.Superstep);
    }

    private static async Task<Dictionary<long, double>> PageRankAsync(DataflowEnvironment env, string graph, CancellationToken ct = default)
    {
        var ranks = await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, TestData.Path($"{graph}.edges")), 100, 0.85, 0, ct);
        return (await ranks.CollectAsync(ct)).ToDictionary(r => r.Id, r => r.Value);
    }

    [Theory]
    [InlineData(2, 2)]
    [InlineData(4, 2)]
    [InlineData(1, 3)]
    public async Task ResumeFrom_PageRankFailedAtSuperstep7_GoesOnFrom6AndMatchesNetworkx(int parallelism, int resumedParallelism)
    {
        var uninterrupted = await PageRankAsync(DataflowEnvironment.CreateLocal(parallelism), "gnp200");

        var first = DataflowEnvironment.CreateLocal(parallelism).EnableCheckpoints(2, _dir).AddObserver(new StopAt(7));
        var e = await Assert.ThrowsAnyAsync<Exception>(() => PageRankAsync(first, "gnp200"));
        Assert.Contains("stopped at superstep 7", e.ToString());

        var recoveries = new Recoveries();
        var second = DataflowEnvironment.CreateLocal(resumedParallelism).EnableCheckpoints(2, _dir).ResumeFrom(_dir).AddObserver(recoveries);
        var resumed = await PageRankAsync(second, "gnp200");

        var recovery = Assert.Single(recoveries.Events);
        Assert.Equal(6, recovery.Superstep);
        Assert.Equal(parallelism, recovery.Parallelism);
        Assert.Null(recovery.LostWorker);
        Assert.Equal(7, recoveries.Supersteps[0]);
        Assert.Equal(100, recoveries.Supersteps[^1]);
        Assert.Equal(uninterrupted.Keys.Order(), resumed.Keys.Order());
        foreach (var (v, rank) in uninterrupted) Assert.True(Math.Abs(rank - resumed[v]) <= 1e-12, $"vertex {v}: {rank} vs {resumed[v]}");
        foreach (var (v, rank) in TestData.ReadTsvDoubles(TestData.Path("gnp200.pagerank.tsv")))
        {
            Assert.True(Math.Abs(rank - resumed[v]) <= 1e-9, $"vertex {v}: networkx {rank}, resumed {resumed[v]}");
        }
        // The iteration ended: its checkpoints (and the job folder, now empty) are gone.
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task ResumeFrom_KMeansCancelledAtSuperstep7_MatchesScikitLearn(int parallelism)
    {
        var initial = KMeansJob.ReadCentroids(TestData.Path("iris.init-centroids.csv"));
        async Task<List<Centroid>> RunAsync(DataflowEnvironment env, CancellationToken ct = default)
        {
            var result = KMeansJob.Build(KMeansJob.ReadPoints(env, TestData.Path("iris.csv")), env.FromCollection(initial), 10);
            return (await result.CollectAsync(ct)).OrderBy(c => c.Id).ToList();
        }

        using var cancel = new CancellationTokenSource();
        var first = DataflowEnvironment.CreateLocal(parallelism).EnableCheckpoints(2, _dir).AddObserver(new StopAt(7, cancel));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RunAsync(first, cancel.Token));

        var recoveries = new Recoveries();
        var actual = await RunAsync(DataflowEnvironment.CreateLocal(parallelism).ResumeFrom(_dir).AddObserver(recoveries));

        Assert.Equal(6, Assert.Single(recoveries.Events).Superstep);
        Assert.Equal([7, 8, 9, 10], recoveries.Supersteps);
        var expected = TestData.ReadCsv(TestData.Path("iris.centroids-after-10.csv"));
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            for (int d = 0; d < expected[i].Length; d++)
            {
                Assert.True(Math.Abs(expected[i][d] - actual[i].Coordinates[d]) <= 1e-9, $"centroid {i} dim {d}: {expected[i][d]} vs {actual[i].Coordinates[d]}");
            }
        }
        // Resumed without checkpoints of its own: the folder it read stays.
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 3)]
    [InlineData(4, 2)]
    public async Task ResumeFrom_ComponentsFailedAtSuperstep3_MatchesScipyExactly(int parallelism, int resumedParallelism)
    {
        Task<List<VertexLabel>> RunAsync(DataflowEnvironment env) =>
            ConnectedComponentsJob.Build(env, TestData.Path("gnm300.edges"), TestData.Path("gnm300.vertices")).CollectAsync();

        var first = DataflowEnvironment.CreateLocal(parallelism).EnableCheckpoints(1, _dir).AddObserver(new StopAt(3));
        await Assert.ThrowsAnyAsync<Exception>(() => RunAsync(first));

        var recoveries = new Recoveries();
        var actual = (await RunAsync(DataflowEnvironment.CreateLocal(resumedParallelism).EnableCheckpoints(1, _dir).ResumeFrom(_dir).AddObserver(recoveries)))
            .ToDictionary(v => v.Vertex, v => v.Label);

        Assert.Equal(2, Assert.Single(recoveries.Events).Superstep);
        Assert.Equal(3, recoveries.Supersteps[0]);
        var expected = TestData.ReadTsvLongs(TestData.Path("gnm300.components.tsv"));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (v, c) in expected) Assert.Equal(c, actual[v]);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public async Task ResumeFrom_PageRankProcessKilledAfterACheckpoint_WritesTheRanksOfARunWithoutKill()
    {
        string[] common = ["--scale", "15", "--iterations", "40", "--data-dir", _dir, "--parallelism", "2"];
        var full = Path.Combine(_dir, "full.tsv");
        var (exit, _, err) = await ExampleProcess.RunAsync("PageRank", [.. common, "--output", full]);
        Assert.True(exit == 0, err);

        var ranks = Path.Combine(_dir, "ranks.tsv");
        var checkpoints = Path.Combine(_dir, "checkpoints");
        string[] run = [.. common, "--output", ranks, "--checkpoint-interval", "5", "--checkpoint-dir", checkpoints];
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "PageRank.dll"));
        foreach (var a in run) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            _ = p.StandardError.ReadToEndAsync();
            using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2)); // a hang guard
            while (await p.StandardOutput.ReadLineAsync(guard.Token) is { } line && !line.StartsWith("checkpoint after superstep 10:", StringComparison.Ordinal))
            {
            }
            p.Kill(); // SIGKILL: nothing of the program runs after it
            await p.WaitForExitAsync(guard.Token);
        }
        Assert.False(File.Exists(ranks));

        (exit, var stdout, err) = await ExampleProcess.RunAsync("PageRank", [.. run, "--resume-from", checkpoints]);
        Assert.True(exit == 0, err);
        Assert.Matches(@"recovery: resumed from .*; restored superstep 1[05] at parallelism 2", stdout);
        var expected = ReadRanks(full);
        var actual = ReadRanks(ranks);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (v, rank) in expected) Assert.True(Math.Abs(rank - actual[v]) <= 1e-12, $"vertex {v}: {rank} vs {actual[v]}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(checkpoints));
    }

    private static Dictionary<long, double> ReadRanks(string path) => File.ReadLines(path)
        .Select(l => l.Split('\t'))
        .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => double.Parse(f[1], CultureInfo.InvariantCulture));
}
