using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Iterations that survive a lost worker (docs/checkpoints.md): the examples under <c>./dataflow run</c> with
/// checkpoints, one worker process killed with SIGKILL mid-iteration; the job goes back to the last complete
/// checkpoint on the workers left and ends with the reference answer. Also what a job cannot recover from, and
/// a killed launcher (coordinator and submitter) whose run goes on with <c>--resume-from</c>.
/// </summary>
public sealed class RecoveryTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-recovery-").FullName;
    private readonly string _secret;

    public RecoveryTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret)); // every worker the launcher started is gone
        Directory.Delete(_dir, recursive: true);
    }

    private Repo.Child Start(int workers, string example, params string[] args) =>
        new([Repo.Launcher, "run", "--workers", workers.ToString(CultureInfo.InvariantCulture), "--secret-file", _secret, "--", Repo.Example(example), .. args]);

    /// <summary>Three workers; with <paramref name="standby"/> a fourth one, idle, that the job does not start on.</summary>
    private Repo.Child StartThree(bool standby, string example, params string[] args) => standby
        ? new([Repo.Launcher, "run", "--workers", "4", "--initial-workers", "3", "--standbys", "cold", "--secret-file", _secret, "--", Repo.Example(example), .. args])
        : Start(3, example, args);

    /// <summary>
    /// Waits for the line of <paramref name="superstep"/> and for a checkpoint's (its write has finished, so the job can
    /// recover: supersteps take a few ms, a checkpoint's write may not), then kills w1 (a worker the job started on) with
    /// SIGKILL; returns its pid.
    /// </summary>
    private int KillW1After(Repo.Child run, int superstep)
    {
        WaitFor(run, SuperstepLine(superstep));
        WaitFor(run, CheckpointLine);
        int victim = WorkerRegisteredAs("w1");
        System.Diagnostics.Process.GetProcessById(victim).Kill();
        return victim;
    }

    /// <summary>Waits until the run printed <paramref name="text"/> (a hang guard of two minutes).</summary>
    private static void WaitFor(Repo.Child run, string text)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (!run.Out.Contains(text, StringComparison.Ordinal))
        {
            Assert.False(run.HasExited, run.Err);
            Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2), $"the run never printed '{text}'");
            Thread.Sleep(5);
        }
    }

    /// <summary>What the examples print once a checkpoint's write has finished and it is committed.</summary>
    private const string CheckpointLine = "checkpoint after superstep ";

    private static string SuperstepLine(int superstep) => string.Create(CultureInfo.InvariantCulture, $"superstep {superstep,3} ");

    /// <summary>
    /// Waits until the run printed the line of <paramref name="superstep"/> (and, with <paramref name="checkpointed"/>, a
    /// checkpoint's), then kills one of its worker processes with SIGKILL; returns its pid.
    /// </summary>
    private int KillAWorkerAfter(Repo.Child run, int superstep, bool checkpointed = true)
    {
        WaitFor(run, SuperstepLine(superstep));
        if (checkpointed) WaitFor(run, CheckpointLine);
        int victim = Workers().First();
        System.Diagnostics.Process.GetProcessById(victim).Kill();
        return victim;
    }

    /// <summary>The worker processes the launcher started (their command lines name the secret file and "worker").</summary>
    private List<int> Workers() => Repo.ProcessesWith(_secret).Where(pid =>
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Split('\0').Contains("worker");
        }
        catch (IOException)
        {
            return false;
        }
    }).ToList();

    /// <summary>
    /// The recovery line the example printed: the checkpoint's superstep and the one that failed. Onto a standby the
    /// parallelism stays 3 and the line names the worker that took the lost one's place; onto the two workers left it is 2.
    /// </summary>
    private static (int Checkpoint, int Failed) Recovery(string stdout, int victim, bool standby = false)
    {
        var line = stdout.Split('\n').Single(l => l.StartsWith("recovery: lost ", StringComparison.Ordinal));
        Assert.Contains($"pid {victim}", line, StringComparison.Ordinal);
        Assert.Contains("killed by SIGKILL", line, StringComparison.Ordinal);
        var m = System.Text.RegularExpressions.Regex.Match(line,
            standby ? @"at superstep (\d+); restored superstep (\d+) at parallelism 3 with w4 .*; (\d+) supersteps replayed"
                    : @"at superstep (\d+); restored superstep (\d+) at parallelism 2 .*; (\d+) supersteps replayed");
        Assert.True(m.Success, line);
        int failed = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), checkpoint = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.Equal(failed - checkpoint, int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture));
        return (checkpoint, failed);
    }

    [Fact]
    public void Run_PageRankWorkerKilled_RecoversOntoTheTwoLeftAndMatchesNetworkx()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        using var run = Start(3, "PageRank", "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100", "--checkpoint-interval", "2",
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--output", output, "--stats", stats);
        int victim = KillAWorkerAfter(run, 5);
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        var (checkpoint, failed) = Recovery(run.Out, victim);
        Assert.True(checkpoint >= 2 && checkpoint % 2 == 0 && checkpoint < failed, $"checkpoint {checkpoint}, failed at {failed}");
        Assert.Contains("superstep 100", run.Out, StringComparison.Ordinal);
        // The state moved onto the two workers left, and the job said so.
        var lines = File.ReadAllLines(stats);
        Assert.Contains(lines, l => l.Contains("\"event\":\"recovery\"", StringComparison.Ordinal) && l.Contains("\"parallelism_before\":3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"event\":\"rescale\"", StringComparison.Ordinal) && l.Contains("\"policy\":\"recovery\"", StringComparison.Ordinal));
        var actual = Repo.ReadTsvDoubles(output);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"));
        Assert.Equal(reference.Count, actual.Count);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}: {actual[v]:R}, networkx {r:R}");
        // The iteration ended: its checkpoints are gone.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_dir, "checkpoints")));
    }

    /// <summary>
    /// The worker process registered as <paramref name="id"/>: its log (next to its work folder, which its command line names)
    /// says which id the coordinator gave it.
    /// </summary>
    private int WorkerRegisteredAs(string id)
    {
        foreach (int pid in Workers())
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0');
            var workDir = args[Array.IndexOf(args, "--work-dir") + 1];
            var log = Path.Combine(Path.GetDirectoryName(workDir)!, Path.GetFileName(workDir) + ".log");
            if (File.Exists(log) && File.ReadAllText(log).Contains($"Registered as {id},", StringComparison.Ordinal)) return pid;
        }
        throw new InvalidOperationException($"no worker process registered as {id}");
    }

    [Theory]
    [InlineData("cold")]
    [InlineData("follow")]
    public void Run_WorkerKilledWithAStandbyAtHand_TheStandbyTakesItsPlaceAtTheSameParallelism(string standbys)
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        // Four workers, the job starts on three: the fourth is a standby (cold: idle; follow: it replays the job as it goes).
        using var run = new Repo.Child([Repo.Launcher, "run", "--workers", "4", "--initial-workers", "3", "--standbys", standbys, "--secret-file", _secret, "--",
            Repo.Example("PageRank"), "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100", "--checkpoint-interval", "2",
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--output", output, "--stats", stats]);
        WaitFor(run, SuperstepLine(5));
        WaitFor(run, CheckpointLine);
        int victim = WorkerRegisteredAs("w1"); // the job started on w1, w2 and w3; w4 is the standby
        System.Diagnostics.Process.GetProcessById(victim).Kill();
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        var line = run.Out.Split('\n').Single(l => l.StartsWith("recovery: lost ", StringComparison.Ordinal));
        Assert.Matches(@"restored superstep \d+ at parallelism 3 with w\d", line);
        Assert.Contains($"pid {victim}", line, StringComparison.Ordinal);
        var recovery = File.ReadAllLines(stats).Single(l => l.Contains("\"event\":\"recovery\"", StringComparison.Ordinal));
        Assert.Contains("\"replacement\":\"w", recovery, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllLines(stats), l => l.Contains("\"policy\":\"recovery\"", StringComparison.Ordinal)); // no move: as many slots as before
        var actual = Repo.ReadTsvDoubles(output);
        var reference = Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"));
        Assert.Equal(reference.Count, actual.Count);
        foreach (var (v, r) in reference) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}: {actual[v]:R}, networkx {r:R}");
    }

    [Fact]
    public void Run_WorkerKilledInAJobThatMayAcquireWorkers_ANewWorkerFromTheProviderTakesItsPlace()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        // Three workers, all in the job, which may have four (--max-workers): no worker is free, so the launcher's
        // resource provider starts a new worker process for the one lost.
        using var run = new Repo.Child([Repo.Launcher, "run", "--workers", "3", "--max-workers", "4", "--secret-file", _secret, "--",
            Repo.Example("PageRank"), "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100", "--checkpoint-interval", "2",
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--output", output]);
        int victim = KillW1After(run, 5);
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        Recovery(run.Out, victim, standby: true); // at parallelism 3, with w4
        var actual = Repo.ReadTsvDoubles(output);
        foreach (var (v, r) in Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"))) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}: {actual[v]:R}, networkx {r:R}");
    }

    [Fact]
    public void Run_WorkerKilledWhileItsCheckpointFilesAreWritten_RecoversFromTheCheckpointBefore()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var checkpoints = Path.Combine(_dir, "checkpoints");
        using var run = Start(3, "PageRank", "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100", "--checkpoint-interval", "10",
            "--checkpoint-dir", checkpoints, "--output", output);
        // As soon as the iteration's folder exists: w1's file of the checkpoint after superstep 20 is a named pipe, so w1's
        // write of it blocks (opening a pipe for writing waits for a reader), as a slow disk would hold it.
        var guard = System.Diagnostics.Stopwatch.StartNew();
        string? iteration = null;
        while ((iteration = Directory.Exists(checkpoints) ? Directory.EnumerateDirectories(checkpoints, "it1-*", SearchOption.AllDirectories).FirstOrDefault() : null) is null)
        {
            Assert.False(run.HasExited, run.Err);
            Assert.True(guard.Elapsed < TimeSpan.FromMinutes(2), "the iteration never started");
            Thread.Sleep(1);
        }
        var pipe = Path.Combine(iteration, "ss-000020", "st0-sub0000.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(pipe)!);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", pipe)) mkfifo.WaitForExit();
        Assert.DoesNotContain("checkpoint after superstep 20:", run.Out, StringComparison.Ordinal); // made in time

        // Superstep 30's checkpoint waits for w1's write of superstep 20's, which never ends: kill w1 then.
        WaitFor(run, SuperstepLine(30));
        int victim = WorkerRegisteredAs("w1");
        System.Diagnostics.Process.GetProcessById(victim).Kill();
        File.Delete(pipe); // the survivors write that checkpoint again
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        Assert.DoesNotContain("checkpoint after superstep 20:", run.Out.Split("recovery:")[0], StringComparison.Ordinal);
        var (checkpoint, failed) = Recovery(run.Out, victim);
        Assert.Equal(10, checkpoint);
        Assert.True(failed >= 30, $"failed at {failed}");
        var actual = Repo.ReadTsvDoubles(output);
        foreach (var (v, r) in Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"))) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}: {actual[v]:R}, networkx {r:R}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_ComponentsWorkerKilled_RecoversAndEqualsScipyExactly(bool standby)
    {
        // gnm300 (scipy's components) and a path of 300 vertices, whose labels take 300 supersteps to settle: time to kill.
        var edges = Path.Combine(_dir, "edges.txt");
        File.WriteAllLines(edges, File.ReadLines(Repo.TestData("gnm300.edges"))
            .Concat(Enumerable.Range(1000, 299).Select(v => string.Create(CultureInfo.InvariantCulture, $"{v + 1} {v}"))));
        var output = Path.Combine(_dir, "components.tsv");
        using var run = StartThree(standby, "ConnectedComponents", "--edges", edges, "--vertices", Repo.TestData("gnm300.vertices"), "--checkpoint-interval", "2",
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--output", output);
        int victim = KillW1After(run, 20);
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        var (checkpoint, failed) = Recovery(run.Out, victim, standby);
        // The kill comes once superstep 20 is printed, and supersteps of this graph take a few ms, so it may land many
        // supersteps later; a checkpoint is written in the background and fenced when the next is taken, so the last
        // complete one may be the one before the last taken. Either way: an even one from 16 on, before the failure.
        Assert.True(checkpoint >= 16 && checkpoint % 2 == 0 && checkpoint < failed, $"checkpoint {checkpoint}, failed at {failed}");
        var actual = File.ReadLines(output).Select(l => l.Split('\t')).ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => long.Parse(f[1], CultureInfo.InvariantCulture));
        var expected = File.ReadLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => long.Parse(f[1], CultureInfo.InvariantCulture));
        for (long v = 1000; v < 1300; v++) expected[v] = 1000;
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (v, label) in expected) Assert.Equal(label, actual[v]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Run_KMeansWorkerKilled_RecoversAndEqualsTheRunWithoutALoss(bool standby)
    {
        string[] common = ["--count", "200000", "--k", "6", "--dims", "4", "--iterations", "30", "--data-dir", Path.Combine(_dir, "data")];
        var expected = Path.Combine(_dir, "expected.csv");
        var embedded = Repo.Run(s_timeout, [Repo.Example("KMeans"), .. common, "--parallelism", "2", "--output", expected]);
        Assert.True(embedded.Exit == 0, embedded.Err);

        var output = Path.Combine(_dir, "centroids.csv");
        using var run = StartThree(standby, "KMeans", [.. common, "--checkpoint-interval", "2", "--checkpoint-dir", Path.Combine(_dir, "checkpoints"), "--output", output]);
        int victim = KillW1After(run, 4);
        Assert.True(run.Wait(s_timeout) == 0, run.Err);

        Recovery(run.Out, victim, standby);
        var a = File.ReadAllLines(expected);
        var b = File.ReadAllLines(output);
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            var x = a[i].Split(',');
            var y = b[i].Split(',');
            Assert.Equal(x.Length, y.Length);
            for (int d = 0; d < x.Length; d++)
            {
                double u = double.Parse(x[d], CultureInfo.InvariantCulture), w = double.Parse(y[d], CultureInfo.InvariantCulture);
                Assert.True(Math.Abs(u - w) <= 1e-12 * Math.Max(1, Math.Abs(u)), $"line {i} column {d}: {u:R} vs {w:R}");
            }
        }
    }

    [Fact]
    public void Run_WorkerKilledBeforeTheFirstCheckpoint_FailsSayingSo()
    {
        using var run = Start(2, "PageRank", "--edges", Repo.TestData("gnp200.edges"), "--iterations", "100000", "--checkpoint-interval", "100000",
            "--checkpoint-dir", Path.Combine(_dir, "checkpoints"));
        int victim = KillAWorkerAfter(run, 3, checkpointed: false);
        Assert.Equal(1, run.Wait(s_timeout));
        Assert.Contains($"pid {victim}", run.Err, StringComparison.Ordinal);
        Assert.Contains("The job cannot recover: its iteration had no complete checkpoint yet.", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_LauncherKilled_EveryWorkerEndsAndTheRunGoesOnWithResumeFrom()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var checkpoints = Path.Combine(_dir, "checkpoints");
        string[] args = ["--edges", Repo.TestData("gnp200.edges"), "--iterations", "300", "--checkpoint-interval", "5", "--checkpoint-dir", checkpoints, "--output", output];
        using (var run = Start(2, "PageRank", args))
        {
            WaitFor(run, "checkpoint after superstep 10:");
            Assert.Equal(2, Workers().Count);
            System.Diagnostics.Process.GetProcessById(run.Id).Kill(); // the coordinator and the submitter with it
            run.Wait(s_timeout);
        }
        // Every other process of the job ends within seconds, and no output file (not even a partial one) is there.
        var ended = System.Diagnostics.Stopwatch.StartNew();
        while (Workers().Count > 0 && ended.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(50);
        Assert.Empty(Workers());
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFiles(_dir, "ranks.tsv*", SearchOption.AllDirectories));

        using var resumed = Start(2, "PageRank", [.. args, "--resume-from", checkpoints]);
        Assert.True(resumed.Wait(s_timeout) == 0, resumed.Err);
        Assert.Matches(@"recovery: resumed from .*; restored superstep (1[0-9]|[2-9][0-9]) at parallelism 2", resumed.Out);
        var actual = Repo.ReadTsvDoubles(output);
        foreach (var (v, r) in Repo.ReadTsvDoubles(Repo.TestData("gnp200.pagerank.tsv"))) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}: {actual[v]:R}, networkx {r:R}");
    }
}
