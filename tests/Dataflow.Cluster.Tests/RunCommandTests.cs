using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// The examples under <c>./dataflow run --workers 3</c>: real coordinator, worker and submitter
/// processes on loopback, compared with the embedded run and the reference answers.
/// </summary>
public sealed class RunCommandTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-cluster-").FullName;
    private readonly string _secret;

    public RunCommandTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret)); // every worker the launcher started is gone
        Directory.Delete(_dir, recursive: true);
    }

    private (int Exit, string Out, string Err) RunOnCluster(int workers, string example, params string[] args) =>
        Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture), "--secret-file", _secret, "--", Repo.Example(example), .. args]);

    private static (int Exit, string Out, string Err) RunEmbedded(string example, params string[] args) =>
        Repo.Run(s_timeout, [Repo.Example(example), .. args]);

    [Fact]
    public void Run_PageRankOnThreeWorkers_EqualsEmbeddedAndNetworkx()
    {
        var cluster = Path.Combine(_dir, "cluster.tsv");
        var embedded = Path.Combine(_dir, "embedded.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        string[] common = ["--edges", Repo.TestData("gnp200.edges"), "--iterations", "100"];
        var c = RunOnCluster(3, "PageRank", [.. common, "--output", cluster, "--stats", stats]);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("superstep 100", c.Out);
        Assert.Contains("parallelism 3", c.Out);
        var e = RunEmbedded("PageRank", [.. common, "--output", embedded, "--parallelism", "2"]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadTsvDoubles(cluster);
        var b = Repo.ReadTsvDoubles(embedded);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"));
        Assert.Equal(reference.Count, a.Count);
        foreach (var (v, r) in b) Assert.True(Math.Abs(r - a[v]) <= 1e-12, $"vertex {v}: cluster {a[v]:R}, embedded {r:R}");
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - a[v]) <= 1e-9, $"vertex {v}: cluster {a[v]:R}, networkx {r:R}");
        // Statistics of the whole cluster reach the submitter's --stats file: one line per superstep, tasks of all three workers.
        var lines = File.ReadAllLines(stats);
        Assert.Equal(100, lines.Count(l => l.Contains("\"event\":\"superstep\"", StringComparison.Ordinal)));
        foreach (var w in new[] { "w1", "w2", "w3" }) Assert.Contains($"\"worker\":\"{w}\"", lines[5], StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WorkerKilledBySigkillMidJob_ErrorNamesTheWorkerAndTheSignal()
    {
        using var run = new Repo.Child(Repo.Launcher, "run", "--workers", "2", "--secret-file", _secret, "--",
            Repo.Example("PageRank"), "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100000000");
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!run.Out.Contains("superstep   5", StringComparison.Ordinal))
        {
            Assert.False(run.HasExited, run.Err);
            Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2), "the job never reached superstep 5");
            Thread.Sleep(50);
        }
        // One of the worker processes run started (their command lines name the secret file and "worker").
        int victim = Repo.ProcessesWith(_secret).First(pid => File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains("worker"));
        System.Diagnostics.Process.GetProcessById(victim).Kill();
        Assert.Equal(1, run.Wait(TimeSpan.FromMinutes(1)));
        Assert.Contains($"pid {victim}", run.Err, StringComparison.Ordinal);
        Assert.Contains("its process was killed by SIGKILL", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Run_FolderOfAKilledRunLeftBehind_IsRemovedAndTheNewRunsFolderIsPrivate()
    {
        // A run killed with SIGKILL leaves its folder (secret, caches, logs) under the per-user root; the next run removes it.
        var cacheHome = Path.Combine(_dir, "xdg");
        var runs = Path.Combine(cacheHome, "dataflow", "runs");
        var orphan = Path.Combine(runs, "run-2147483646-deadbeef");
        Directory.CreateDirectory(orphan);
        File.WriteAllText(Path.Combine(orphan, "secret"), "left behind");
        var env = new Dictionary<string, string> { ["XDG_CACHE_HOME"] = cacheHome, ["DATAFLOW_KEEP_RUN_DIR"] = "1" };
        var r = Repo.Run(s_timeout, env, Repo.Launcher, "run", "--workers", "1", "--", Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "3");
        Assert.True(r.Exit == 0, r.Err);
        Assert.False(Directory.Exists(orphan));
        // Its own folder (kept here on request) is private, and so is the secret it generated.
        var own = Assert.Single(Directory.GetDirectories(runs));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(own));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(own, "secret")));
    }

    [Fact]
    public void Run_ConnectedComponentsOnThreeWorkers_EqualsScipyExactly()
    {
        var output = Path.Combine(_dir, "components.tsv");
        var c = RunOnCluster(3, "ConnectedComponents", "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--output", output);
        Assert.True(c.Exit == 0, c.Err);
        var actual = File.ReadAllLines(output).Order(StringComparer.Ordinal).ToArray();
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Run_KMeansOnThreeWorkers_EqualsEmbeddedAndScikitLearn()
    {
        var cluster = Path.Combine(_dir, "cluster.csv");
        var embedded = Path.Combine(_dir, "embedded.csv");
        string[] common = ["--points", Repo.TestData("iris.csv"), "--centroids", Repo.TestData("iris.init-centroids.csv"), "--iterations", "10"];
        var c = RunOnCluster(3, "KMeans", [.. common, "--output", cluster]);
        Assert.True(c.Exit == 0, c.Err);
        var e = RunEmbedded("KMeans", [.. common, "--output", embedded]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadCsv(cluster);
        var b = Repo.ReadCsv(embedded);
        var reference = Repo.ReadCsv(Repo.TestData("iris.centroids-after-10.csv"));
        for (int i = 0; i < reference.Length; i++)
        {
            for (int d = 0; d < reference[i].Length; d++)
            {
                Assert.True(Math.Abs(a[i][d] - b[i][d]) <= 1e-12, $"centroid {i}[{d}]: cluster {a[i][d]:R}, embedded {b[i][d]:R}");
                Assert.True(Math.Abs(a[i][d] - reference[i][d]) <= 1e-9, $"centroid {i}[{d}]");
            }
        }
    }

    [Fact]
    public void Run_MalformedInputLine_FailsWithPathAndLineAndLeavesNoOutput()
    {
        var edges = Path.Combine(_dir, "bad.edges");
        File.WriteAllLines(edges, ["1 2", "2 3", "3 x", "4 5"]);
        var output = Path.Combine(_dir, "ranks.tsv");
        var c = RunOnCluster(2, "PageRank", "--edges", edges, "--iterations", "5", "--output", output);
        Assert.Equal(1, c.Exit);
        Assert.Contains($"{edges}:3:", c.Err);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFiles(_dir, "ranks.tsv*"));
    }

    [Fact]
    public void Run_BottleneckAwarePlacement_WritesPlacementEventsAndSameRanks()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        var c = RunOnCluster(3, "PageRank", "--edges", Repo.TestData("karate.edges"), "--iterations", "100", "--output", output, "--stats", stats,
            "--placement", "bottleneck-aware", "--predictor", "slidhmm");
        Assert.True(c.Exit == 0, c.Err);
        var placements = File.ReadAllLines(stats).Where(l => l.Contains("\"event\":\"placement\"", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(placements);
        Assert.All(placements, l => Assert.Contains("\"policy\":\"bottleneck-aware/slidhmm\"", l, StringComparison.Ordinal));
        Assert.Contains("\"assignments\":{\"0\":\"w", placements[0], StringComparison.Ordinal);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("karate.pagerank.tsv"));
        var actual = Repo.ReadTsvDoubles(output);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
    }

    [Fact]
    public void Run_UnknownPlacementPolicy_FailsClearly()
    {
        var c = RunOnCluster(2, "PageRank", "--edges", Repo.TestData("karate.edges"), "--placement", "fastest");
        Assert.NotEqual(0, c.Exit);
        Assert.Contains("Unknown placement policy 'fastest'", c.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_PageRankRescaled2To3To1Workers_EqualsStaticEmbeddedRunTo1e12()
    {
        var cluster = Path.Combine(_dir, "cluster.tsv");
        var embedded = Path.Combine(_dir, "embedded.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        string[] common = ["--edges", Repo.TestData("gnp200.edges"), "--iterations", "30"];
        var c = RunOnCluster(3, "PageRank", [.. common, "--parallelism", "2", "--elasticity", "fixed", "--schedule", "2,3,1", "--output", cluster, "--stats", stats]);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep 1: 2 -> 3", c.Out);
        Assert.Contains("rescale after superstep 2: 3 -> 1", c.Out);
        var e = RunEmbedded("PageRank", [.. common, "--output", embedded, "--parallelism", "2"]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadTsvDoubles(cluster);
        var b = Repo.ReadTsvDoubles(embedded);
        Assert.Equal(b.Count, a.Count);
        foreach (var (v, r) in b) Assert.True(Math.Abs(r - a[v]) <= 1e-12, $"vertex {v}: rescaled cluster {a[v]:R}, static embedded {r:R}");
        // Superstep 3 on runs on one worker: only w1's tasks appear.
        var third = File.ReadAllLines(stats).First(l => l.Contains("\"superstep\":3,", StringComparison.Ordinal));
        Assert.Contains("\"parallelism\":1", third, StringComparison.Ordinal);
        Assert.DoesNotContain("\"worker\":\"w2\"", third.Split("\"workers\"")[0], StringComparison.Ordinal);
        Assert.Equal(2, File.ReadAllLines(stats).Count(l => l.Contains("\"event\":\"rescale\"", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("2,3,1")]
    [InlineData("1,3,2")]
    public void Run_ConnectedComponentsRescaledAcrossWorkers_EqualsScipyExactly(string schedule)
    {
        var output = Path.Combine(_dir, "components.tsv");
        var c = RunOnCluster(3, "ConnectedComponents", "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"),
            "--parallelism", "2", "--elasticity", "fixed", "--schedule", schedule, "--output", output);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep", c.Out);
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, File.ReadAllLines(output).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Run_KMeansRescaled2To3To1Workers_EqualsStaticEmbeddedRunTo1e12()
    {
        var cluster = Path.Combine(_dir, "cluster.csv");
        var embedded = Path.Combine(_dir, "embedded.csv");
        string[] common = ["--points", Repo.TestData("iris.csv"), "--centroids", Repo.TestData("iris.init-centroids.csv"), "--iterations", "10"];
        var c = RunOnCluster(3, "KMeans", [.. common, "--parallelism", "2", "--elasticity", "fixed", "--schedule", "2,3,1", "--output", cluster]);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep 2: 3 -> 1", c.Out);
        var e = RunEmbedded("KMeans", [.. common, "--output", embedded, "--parallelism", "2"]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadCsv(cluster);
        var b = Repo.ReadCsv(embedded);
        for (int i = 0; i < b.Length; i++)
        {
            for (int d = 0; d < b[i].Length; d++) Assert.True(Math.Abs(a[i][d] - b[i][d]) <= 1e-12, $"centroid {i}[{d}]");
        }
    }

    [Fact]
    public void Run_WithoutWorkers_IsAUsageError()
    {
        var c = Repo.Run(s_timeout, Repo.Launcher, "run", "--", Repo.Example("PageRank"));
        Assert.Equal(2, c.Exit);
        Assert.Contains("--workers", c.Err);
    }
}
