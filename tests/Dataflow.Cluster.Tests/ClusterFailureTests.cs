using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// A coordinator in this process with real worker processes (started through the local-process
/// resource provider) and real submitter processes: lost workers, bad peers, plan mismatches.
/// </summary>
public sealed class ClusterFailureTests(Xunit.Abstractions.ITestOutputHelper log) : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-cluster-").FullName;
    private string _secretFile = "";
    private byte[] _secret = [];
    private Coordinator _coordinator = null!;
    private LocalProcessProvider _workers = null!;
    private readonly RotatePolicy _rotate = new();

    /// <summary>Moves every subtask to the next worker at each placement: the key groups of the solution set, the cached join index and the recorded inputs move with them.</summary>
    private sealed class RotatePolicy : Dataflow.Runtime.Extensibility.IPlacementPolicy
    {
        public const string PolicyName = "rotate";
        private int _calls;

        public string Name => PolicyName;

        public int Calls => Volatile.Read(ref _calls);

        public Dataflow.Runtime.Extensibility.Placement Place(string vertex, int parallelism, IReadOnlyList<Dataflow.Runtime.Extensibility.WorkerInfo> workers,
            Dataflow.Runtime.Extensibility.Placement? current)
        {
            Interlocked.Increment(ref _calls);
            var ids = workers.Select(w => w.Id).ToList();
            return new(current!.Workers.Select(w => ids[(ids.IndexOf(w) + 1) % ids.Count]).ToArray());
        }
    }

    public async Task InitializeAsync()
    {
        _secretFile = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secretFile);
        _secret = Authentication.ReadSecret(_secretFile);
        _coordinator = new Coordinator(new CoordinatorOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Secret = _secret,
            CacheDirectory = Path.Combine(_dir, "cache"),
            HeartbeatTimeout = TimeSpan.FromSeconds(3),
        }, placement: new PlacementService([_rotate]));
        _coordinator.Start();
        _workers = new LocalProcessProvider(_coordinator, n => Repo.WorkerProcess(_coordinator.EndPoint.ToString(), 1, _secretFile, Path.Combine(_dir, $"worker-{n}")),
            Path.Combine(_dir, "logs"));
        await _workers.AcquireAsync(3, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        await _workers.DisposeAsync();
        Assert.Empty(Repo.ProcessesWith(_secretFile));
        Directory.Delete(_dir, recursive: true);
    }

    private Repo.Child Submit(int workers, params string[] program) =>
        new([Repo.Launcher, "submit", "--coordinator", _coordinator.EndPoint.ToString(), "--secret-file", _secretFile,
            "--workers", workers.ToString(CultureInfo.InvariantCulture), "--", .. program]);

    [Fact]
    public async Task KillMinus9_WorkerMidJob_FailsJobNamingWorkerAndSuperstep_NextJobSucceeds()
    {
        using var job = Submit(2, Repo.Example("PageRank"), "--scale", "12", "--iterations", "100000");
        var sw = Stopwatch.StartNew();
        while (!job.Out.Contains("superstep   5", StringComparison.Ordinal))
        {
            Assert.False(job.HasExited, $"the job ended early:\n{job.Out}\n{job.Err}");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(90), "the job did not reach superstep 5");
            await Task.Delay(50);
        }
        var victim = _coordinator.Status().Workers.First(w => w.Job != 0);
        Process.GetProcessById(victim.Pid).Kill(); // SIGKILL: no goodbye, the socket just dies
        var killed = Stopwatch.StartNew();
        int exit = job.Wait(TimeSpan.FromSeconds(30));
        var detected = killed.Elapsed;
        Assert.Equal(1, exit);
        log.WriteLine($"kill -9 of {victim.Id} (pid {victim.Pid}) to the submitter's exit: {detected.TotalMilliseconds:F0} ms");
        // No upper bound on the time (the machine may be loaded): the 30 s wait above is only a hang guard; detection times are in docs/cluster.md.
        Assert.Contains($"worker {victim.Id}", job.Err, StringComparison.Ordinal);
        Assert.Contains($"pid {victim.Pid}", job.Err, StringComparison.Ordinal);
        Assert.Contains("Last completed superstep", job.Err, StringComparison.Ordinal);

        // The coordinator and the other workers stay up and take the next job.
        Assert.Equal(2, _coordinator.WorkerCount);
        var output = Path.Combine(_dir, "ranks.tsv");
        using var next = Submit(2, Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "100", "--output", output);
        Assert.True(next.Wait(TimeSpan.FromMinutes(2)) == 0, next.Err);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("karate.pagerank.tsv"));
        var actual = Repo.ReadTsvDoubles(output);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
    }

    [Fact]
    public async Task GarbageFramesAndWrongSecret_AreDropped_EveryProcessKeepsServing()
    {
        int rejectedBefore = _coordinator.RejectedConnections;
        // Garbage on the coordinator's port and on a worker's data port.
        var worker = _coordinator.Status().Workers[0];
        foreach (var port in new[] { _coordinator.EndPoint.Port, worker.DataPort })
        {
            using var raw = new TcpClient();
            await raw.ConnectAsync(IPAddress.Loopback, port);
            var stream = raw.GetStream();
            await stream.WriteAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3, 4, 5, 6, 7, 8 });
            var buffer = new byte[256];
            // The peer sends its challenge and then drops us: reading ends (0 bytes or a reset), it never hangs.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                while (await stream.ReadAsync(buffer, timeout.Token) > 0)
                {
                }
            }
            catch (IOException)
            {
            }
        }
        // A wrong secret fails authentication.
        var wrong = "0123456789abcdef0123456789abcdef"u8.ToArray();
        await Assert.ThrowsAnyAsync<Exception>(async () => await ControlChannel.ConnectAsync(_coordinator.EndPoint, wrong));
        await Task.Delay(200);
        Assert.True(_coordinator.RejectedConnections >= rejectedBefore + 2, $"rejected {_coordinator.RejectedConnections - rejectedBefore}");
        // Every worker is still registered, and a job runs on all three.
        Assert.Equal(3, _coordinator.WorkerCount);
        Assert.All(_workers.ProcessIds, pid => Assert.False(Process.GetProcessById(pid).HasExited));
        var output = Path.Combine(_dir, "components.tsv");
        using var job = Submit(3, Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--output", output);
        Assert.True(job.Wait(TimeSpan.FromMinutes(2)) == 0, job.Err);
        Assert.Equal(File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
            File.ReadAllLines(output).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Placement_RotatedAtEveryBarrier_StateMovesBetweenWorkersAndResultsStayExact()
    {
        // The rotate policy (registered with this coordinator) moves every subtask to the next worker at each placement.
        var output = Path.Combine(_dir, "components.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        using var job = Submit(3, Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"),
            "--parallelism", "2", "--placement", RotatePolicy.PolicyName, "--output", output, "--stats", stats);
        Assert.True(job.Wait(TimeSpan.FromMinutes(2)) == 0, job.Err);
        Assert.Equal(File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
            File.ReadAllLines(output).Order(StringComparer.Ordinal));
        var placements = File.ReadAllLines(stats).Where(l => l.Contains("\"event\":\"placement\"", StringComparison.Ordinal)).ToList();
        var barrierPlacements = placements.Where(l => l.Contains("\"superstep\":", StringComparison.Ordinal)).ToList();
        Assert.True(barrierPlacements.Count >= 2, $"{barrierPlacements.Count} re-placements");
        Assert.Equal(_rotate.Calls, placements.Count);
        Assert.All(placements, l => Assert.Contains("\"policy\":\"rotate\"", l, StringComparison.Ordinal));

        var ranks = Path.Combine(_dir, "ranks.tsv");
        using var pagerank = Submit(3, Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "100", "--parallelism", "2",
            "--placement", "locality", "--output", ranks);
        Assert.True(pagerank.Wait(TimeSpan.FromMinutes(2)) == 0, pagerank.Err);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("karate.pagerank.tsv"));
        var actual = Repo.ReadTsvDoubles(ranks);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Submit_ProgramPlantedInTheWorkersCaches_PlantIsDetectedAndTheSubmittedProgramRuns()
    {
        // Another program is planted under the content hash of the one submitted, in every worker's cache and the coordinator's.
        var program = Repo.Example("ConnectedComponents");
        var hash = FileStore.HashOf(program);
        var planted = File.ReadAllBytes(Repo.Example("WordCount"));
        for (int n = 1; n <= 3; n++)
        {
            var cache = Path.Combine(_dir, $"worker-{n}", "cache");
            Directory.CreateDirectory(cache);
            File.WriteAllBytes(Path.Combine(cache, hash), planted);
        }
        File.WriteAllBytes(Path.Combine(_dir, "cache", hash), planted);
        var output = Path.Combine(_dir, "components.tsv");
        using var job = Submit(3, program, "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--output", output);
        Assert.True(job.Wait(TimeSpan.FromMinutes(2)) == 0, job.Err);
        Assert.Equal(File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
            File.ReadAllLines(output).Order(StringComparer.Ordinal));
        // The plants were replaced by the real program's content.
        for (int n = 1; n <= 3; n++) Assert.Equal(hash, FileStore.HashOf(Path.Combine(_dir, $"worker-{n}", "cache", hash)));
        Assert.Equal(hash, FileStore.HashOf(Path.Combine(_dir, "cache", hash)));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Submit_SubmitterStoppedWithSigstop_ItsJobFailsAndItsWorkersAreFreed()
    {
        using var stopped = Submit(2, Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "100000000");
        var guard = Stopwatch.StartNew();
        while (!_coordinator.Status().Jobs.Any(j => j.State == "running" && j.Steps > 0))
        {
            Assert.False(stopped.HasExited, stopped.Err);
            Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2), "the job never ran");
            await Task.Delay(100);
        }
        Signal("STOP", stopped.Id);
        try
        {
            // The coordinator hears no heartbeat from the submitter: the job fails and its two workers are free again.
            guard.Restart();
            while (_coordinator.Status() is var status && (status.Jobs.Any(j => j.State == "running") || status.Workers.Any(w => w.Job != 0)))
            {
                Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2), "the stopped submitter's job still holds its workers");
                await Task.Delay(100);
            }
            Assert.Equal("failed", Assert.Single(_coordinator.Status().Jobs).State);
            Assert.Equal(3, _coordinator.WorkerCount);
        }
        finally
        {
            Signal("KILL", stopped.Id);
        }
        var output = Path.Combine(_dir, "components.tsv");
        using var next = Submit(3, Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--output", output);
        Assert.True(next.Wait(TimeSpan.FromMinutes(2)) == 0, next.Err);
        Assert.Equal(File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
            File.ReadAllLines(output).Order(StringComparer.Ordinal));
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    [Fact]
    public async Task Submit_MaxWorkersOnAPool_TakesFreeWorkersAndReturnsThemToThePool()
    {
        // The coordinator has no resource provider: the three hand-started workers are the pool.
        var output = Path.Combine(_dir, "components.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        var (exit, stdout, stderr) = Repo.Run(TimeSpan.FromMinutes(3), Repo.Launcher, "submit", "--coordinator", _coordinator.EndPoint.ToString(),
            "--secret-file", _secretFile, "--workers", "1", "--max-workers", "3", "--", Repo.Example("ConnectedComponents"),
            "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--parallelism", "1",
            "--elasticity", "fixed", "--schedule", "1,3,1", "--output", output, "--stats", stats);
        Assert.True(exit == 0, stderr);
        Assert.Contains("rescale after superstep 1: 1 -> 3", stdout);
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, File.ReadAllLines(output).Order(StringComparer.Ordinal).ToArray());
        var rescales = File.ReadAllLines(stats).Where(l => l.Contains("\"event\":\"rescale\"", StringComparison.Ordinal)).ToList();
        Assert.Contains("\"workers\":3", rescales[0], StringComparison.Ordinal);
        Assert.Contains("\"workers\":1", rescales[1], StringComparison.Ordinal);
        // Released workers went back to the pool: all three still registered, none busy, and the next job can use them all.
        Assert.Equal(3, _coordinator.WorkerCount);
        Assert.All(_coordinator.Status().Workers, w => Assert.Equal(0, w.Job));
        Assert.Equal(3, _workers.ProcessIds.Count);
        using var next = Submit(3, Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "5");
        Assert.Equal(0, next.Wait(TimeSpan.FromMinutes(2)));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Submit_WhileAnElasticJobsStandbysFollowIt_TakesThemAndBothJobsEqualTheirReferences()
    {
        // Job A may grow to 3 workers: the two free ones follow it. Job B, submitted meanwhile, takes those two (they stop
        // following A); both jobs' results are right and every worker ends free.
        var ranks = Path.Combine(_dir, "ranks.tsv");
        var components = Path.Combine(_dir, "components.tsv");
        using var a = new Repo.Child([Repo.Launcher, "submit", "--coordinator", _coordinator.EndPoint.ToString(), "--secret-file", _secretFile,
            "--workers", "1", "--max-workers", "3", "--", Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"), "--iterations", "1500",
            "--parallelism", "1", "--elasticity", "fixed", "--schedule", "1", "--output", ranks]);
        var sw = Stopwatch.StartNew();
        while (_coordinator.Status().Workers.Count(w => w.Follows != 0) < 2)
        {
            Assert.False(a.HasExited, $"job A ended before its standbys followed it:\n{a.Out}\n{a.Err}");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "the free workers did not follow job A");
            await Task.Delay(20);
        }
        int jobA = _coordinator.Status().Workers.First(w => w.Follows != 0).Follows;
        using var b = Submit(2, Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"),
            "--output", components);
        int sawB = 0;
        while (!b.HasExited)
        {
            // A worker running B follows no job (it stopped following A when B took it).
            var running = _coordinator.Status().Workers.Where(w => w.Job != 0 && w.Job != jobA).ToList();
            Assert.All(running, w => Assert.Equal(0, w.Follows));
            sawB += running.Count;
            await Task.Delay(10);
        }
        Assert.True(b.Wait(TimeSpan.FromMinutes(2)) == 0, b.Err);
        Assert.True(sawB > 0, "job B was never seen running");
        Assert.True(a.Wait(TimeSpan.FromMinutes(2)) == 0, a.Err);
        var expected = File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, File.ReadAllLines(components).Order(StringComparer.Ordinal).ToArray());
        var reference = Repo.ReadTsvDoubles(Repo.TestData("karate.pagerank.tsv"));
        var actual = Repo.ReadTsvDoubles(ranks);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
        // Job B's workers were A's standbys; once the coordinator has ended both jobs, none follows a job or runs one.
        sw.Restart();
        while (_coordinator.Status().Workers.Any(w => w.Job != 0 || w.Follows != 0))
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), string.Join("; ", _coordinator.Status().Workers.Select(w => $"{w.Id} job {w.Job} follows {w.Follows}"))); // a hang guard
            await Task.Delay(20);
        }
        Assert.Equal(3, _coordinator.WorkerCount);
        Assert.NotEqual(0, jobA);
    }

    [Fact]
    public async Task Status_ListsWorkersSlotsAndJobs()
    {
        var (exit, stdout, stderr) = Repo.Run(TimeSpan.FromMinutes(1), Repo.Launcher, "status", "--coordinator", _coordinator.EndPoint.ToString(), "--secret-file", _secretFile);
        Assert.True(exit == 0, stderr);
        Assert.Contains("workers: 3, slots: 3", stdout);
        foreach (var w in _coordinator.Status().Workers) Assert.Contains(w.Id, stdout);
        await Task.CompletedTask;
    }
}
