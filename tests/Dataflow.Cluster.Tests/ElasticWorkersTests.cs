using System.Globalization;
using System.Text.Json;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Jobs that acquire and release worker processes while an iteration runs (<c>run --max-workers</c>):
/// a scale-out beyond the job's slots starts new workers, which replay the job so far and receive
/// their key groups at the barrier; a scale-in stops the workers it leaves idle. Results must equal
/// static runs.
/// </summary>
public sealed class ElasticWorkersTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-elastic-").FullName;
    private readonly string _secret;

    public ElasticWorkersTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret)); // every worker the launcher started (and released) is gone
        Directory.Delete(_dir, recursive: true);
    }

    private (int Exit, string Out, string Err) RunElastic(int workers, int maxWorkers, string example, params string[] args) =>
        Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", workers.ToString(CultureInfo.InvariantCulture), "--max-workers",
            maxWorkers.ToString(CultureInfo.InvariantCulture), "--secret-file", _secret, "--", Repo.Example(example), .. args]);

    private static (int Exit, string Out, string Err) RunEmbedded(string example, params string[] args) =>
        Repo.Run(s_timeout, [Repo.Example(example), .. args]);

    private static List<JsonElement> Rescales(string stats) => File.ReadAllLines(stats)
        .Select(l => JsonDocument.Parse(l).RootElement)
        .Where(e => e.TryGetProperty("event", out var kind) && kind.GetString() == "rescale")
        .ToList();

    private static string[] Ids(JsonElement rescale, string property) => rescale.GetProperty(property).EnumerateArray().Select(x => x.GetString()!).ToArray();

    /// <summary>
    /// Runs PageRank on gnp200 at parallelism 1 under a fixed schedule with <paramref name="run"/> (a <c>run</c> command line up to
    /// the program), checks its ranks against a static embedded run to 1e-12, and returns its rescale events.
    /// </summary>
    private List<JsonElement> RunPageRankMatchingStatic(int iterations, string schedule, Func<string[], (int Exit, string Out, string Err)> run)
    {
        var cluster = Path.Combine(_dir, "cluster.tsv");
        var embedded = Path.Combine(_dir, "embedded.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        string[] common = ["--edges", Repo.TestData("gnp200.edges"), "--iterations", iterations.ToString(CultureInfo.InvariantCulture)];
        var c = run([.. common, "--parallelism", "1", "--elasticity", "fixed", "--schedule", schedule, "--output", cluster, "--stats", stats]);
        Assert.True(c.Exit == 0, c.Err);
        var e = RunEmbedded("PageRank", [.. common, "--output", embedded, "--parallelism", "1"]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadTsvDoubles(cluster);
        var b = Repo.ReadTsvDoubles(embedded);
        Assert.Equal(b.Count, a.Count);
        foreach (var (v, r) in b) Assert.True(Math.Abs(r - a[v]) <= 1e-12, $"vertex {v}: elastic cluster {a[v]:R}, static embedded {r:R}");
        return Rescales(stats);
    }

    [Fact]
    public void Run_PageRankScalingOutAndIn_AcquiresAndReleasesWorkersAndEqualsStaticRunTo1e12()
    {
        var rescales = RunPageRankMatchingStatic(30, "1,3,1,2", args => RunElastic(1, 3, "PageRank", args));
        Assert.Equal(3, rescales.Count);
        // 1 → 3: two worker processes started and joined; 3 → 1: both released; 1 → 2: one joins again.
        Assert.Equal(2, Ids(rescales[0], "joined").Length);
        Assert.Equal(3, rescales[0].GetProperty("workers").GetInt32());
        Assert.Equal(Ids(rescales[0], "joined").Order(), Ids(rescales[1], "released").Order());
        Assert.Equal(1, rescales[1].GetProperty("workers").GetInt32());
        Assert.Single(Ids(rescales[2], "joined"));
        Assert.Equal(2, rescales[2].GetProperty("workers").GetInt32());
        // The workers that joined rehearsed a move with the others' records, as part of acquiring them; none did on the scale-in.
        Assert.InRange(rescales[0].GetProperty("join_rehearsal_ms").GetDouble(), double.Epsilon, rescales[0].GetProperty("acquire_ms").GetDouble());
        Assert.InRange(rescales[2].GetProperty("join_rehearsal_ms").GetDouble(), double.Epsilon, rescales[2].GetProperty("acquire_ms").GetDouble());
        Assert.False(rescales[1].TryGetProperty("join_rehearsal_ms", out _));
        // The superstep after each move ran on exactly the workers the job held.
        var supersteps = File.ReadAllLines(Path.Combine(_dir, "stats.jsonl")).Where(l => l.Contains("\"event\":\"superstep\"", StringComparison.Ordinal)).ToList();
        Assert.Contains("\"parallelism\":3", supersteps[1], StringComparison.Ordinal);
        Assert.Contains("\"parallelism\":2", supersteps[29], StringComparison.Ordinal);
        // After the first superstep the worker rehearsed a move (and says how long that took).
        var first = JsonDocument.Parse(supersteps[0]).RootElement.GetProperty("workers").EnumerateArray().Single();
        Assert.True(first.GetProperty("move_rehearsal_ms").GetDouble() > 0, supersteps[0]);
        Assert.False(first.TryGetProperty("move_rehearsal_failed", out _), supersteps[0]);
        // The workers run has started have the gen0 budget moves want (64 MiB).
        Assert.Equal(64 << 20, first.GetProperty("gc_gen0_budget_bytes").GetDouble());
    }

    [Fact]
    public void Run_InitialWorkersBelowStarted_ReleasedWorkersStayWarmAndRejoinWithIdenticalResults()
    {
        // Three worker processes, the job starts on one: scaling out takes the two standbys, scaling in returns
        // them to the pool (their processes keep running), and scaling out again takes the same two back.
        var rescales = RunPageRankMatchingStatic(20, "1,3,1,3", args => Repo.Run(s_timeout,
            [Repo.Launcher, "run", "--workers", "3", "--initial-workers", "1", "--secret-file", _secret, "--", Repo.Example("PageRank"), .. args]));
        Assert.Equal(3, rescales.Count);
        Assert.Equal(Ids(rescales[0], "joined").Order(), Ids(rescales[1], "released").Order());
        Assert.Equal(Ids(rescales[1], "released").Order(), Ids(rescales[2], "joined").Order());
        // The standbys followed the job from its start, and again once released: neither scale-out replayed the job.
        Assert.Equal(Ids(rescales[0], "joined").Order(), Ids(rescales[0], "joined_from_standby").Order());
        Assert.Equal(Ids(rescales[2], "joined").Order(), Ids(rescales[2], "joined_from_standby").Order());
    }

    [Fact]
    public void Run_ColdStandbys_JoinByReplayingTheJobWithIdenticalResults()
    {
        // --standbys cold: the idle workers do not follow the job; a scale-out starts the program on them and they replay it.
        var rescales = RunPageRankMatchingStatic(20, "1,3,1,3", args => Repo.Run(s_timeout,
            [Repo.Launcher, "run", "--workers", "3", "--initial-workers", "1", "--standbys", "cold", "--secret-file", _secret, "--", Repo.Example("PageRank"), .. args]));
        Assert.Equal(3, rescales.Count);
        Assert.Equal(2, Ids(rescales[0], "joined").Length);
        Assert.Equal(2, Ids(rescales[2], "joined").Length);
        Assert.All(rescales, r => Assert.Empty(Ids(r, "joined_from_standby")));
    }

    [Fact]
    public void Run_StandbysOption_RejectsUnknownValue()
    {
        var c = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "2", "--standbys", "lukewarm", "--", Repo.Example("PageRank")]);
        Assert.NotEqual(0, c.Exit);
        Assert.Contains("--standbys expects follow or cold, got 'lukewarm'", c.Err);
    }

    [Fact]
    public void Run_WorkerCannotBeStartedForAScaleOut_FailsTheJobNamingTheCauseAndLeavesNoProcess()
    {
        // The wrapper starts worker 1 and fails every later one, as a provider out of capacity would.
        var wrapper = Path.Combine(_dir, "wrapper.sh");
        File.WriteAllText(wrapper, "#!/bin/sh\nn=$1; shift\nif [ \"$n\" -gt 1 ]; then echo \"no capacity for worker $n\" >&2; exit 3; fi\nexec \"$@\"\n");
        var c = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "1", "--max-workers", "3", "--worker-wrapper", $"sh {wrapper} {{n}}", "--secret-file", _secret, "--",
            Repo.Example("PageRank"), "--edges", Repo.TestData("gnp200.edges"), "--iterations", "10", "--parallelism", "1", "--elasticity", "fixed", "--schedule", "1,3",
            "--output", Path.Combine(_dir, "ranks.tsv")]);
        Assert.Equal(1, c.Exit);
        Assert.Contains("Acquiring 2 worker(s) failed", c.Err);
        Assert.Contains("exited with code 3 before registering (no capacity for worker 2)", c.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "ranks.tsv")));
    }

    [Fact]
    public void Run_ConnectedComponentsTwoSubtasksPerWorker_KeepsEveryKeyGroupThatStays()
    {
        // Packed two to a worker: a worker keeps the key groups of both its old subtasks when 4 become 2 (and 3, 1, 4 later).
        var output = Path.Combine(_dir, "components.tsv");
        var c = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "2", "--slots", "2", "--initial-workers", "2", "--max-workers", "2", "--secret-file", _secret, "--",
            Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"),
            "--parallelism", "4", "--elasticity", "fixed", "--schedule", "4,2,3,1,4", "--output", output]);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep", c.Out);
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, File.ReadAllLines(output).Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [InlineData(2, "2,1,3")]
    [InlineData(1, "1,3,2,1")]
    [InlineData(2, "2,4,3")]
    public void Run_ConnectedComponentsAcquiringAndReleasingWorkers_EqualsScipyExactly(int workers, string schedule)
    {
        var output = Path.Combine(_dir, "components.tsv");
        var c = RunElastic(workers, 4, "ConnectedComponents", "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"),
            "--parallelism", workers.ToString(CultureInfo.InvariantCulture), "--elasticity", "fixed", "--schedule", schedule, "--output", output);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep", c.Out);
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, File.ReadAllLines(output).Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public void Run_KMeansAcquiringAndReleasingWorkers_EqualsStaticEmbeddedRunTo1e12()
    {
        var cluster = Path.Combine(_dir, "cluster.csv");
        var embedded = Path.Combine(_dir, "embedded.csv");
        string[] common = ["--points", Repo.TestData("iris.csv"), "--centroids", Repo.TestData("iris.init-centroids.csv"), "--iterations", "10"];
        var c = RunElastic(1, 3, "KMeans", [.. common, "--parallelism", "1", "--elasticity", "fixed", "--schedule", "1,3,1,2", "--output", cluster]);
        Assert.True(c.Exit == 0, c.Err);
        Assert.Contains("rescale after superstep 2: 3 -> 1", c.Out);
        var e = RunEmbedded("KMeans", [.. common, "--output", embedded, "--parallelism", "1"]);
        Assert.True(e.Exit == 0, e.Err);
        var a = Repo.ReadCsv(cluster);
        var b = Repo.ReadCsv(embedded);
        for (int i = 0; i < b.Length; i++)
        {
            for (int d = 0; d < b[i].Length; d++) Assert.True(Math.Abs(a[i][d] - b[i][d]) <= 1e-12, $"centroid {i}[{d}]");
        }
    }
}
