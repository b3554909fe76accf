using System.Net;
using Dataflow.Cluster.Transport;
using Microsoft.Extensions.Time.Testing;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Liveness from the heartbeats received, on a fake clock: silent workers are lost, a stall of the
/// coordinator itself is not their silence.
/// </summary>
public sealed class HeartbeatWatchTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_period = TimeSpan.FromMilliseconds(200);
    private readonly FakeTimeProvider _time = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-heartbeat-").FullName;

    private sealed record Worker(string Id)
    {
        public long Last { get; set; }
    }

    /// <summary>Checks every period for <paramref name="duration"/> of the fake clock, the workers in <paramref name="beating"/> sending a heartbeat each period.</summary>
    private static List<string> Run(HeartbeatWatch watch, FakeTimeProvider time, TimeSpan duration, Worker[] all, params Worker[] beating)
    {
        var lost = new List<string>();
        for (var t = TimeSpan.Zero; t < duration; t += s_period)
        {
            time.Advance(s_period);
            foreach (var w in beating) w.Last = watch.Now;
            lost.AddRange(watch.Silent(all.Where(w => !lost.Contains(w.Id)), w => w.Last).Select(w => w.Id));
        }
        return lost;
    }

    [Fact]
    public void Silent_WorkerQuietLongerThanTimeout_IsLostAndBeatingOneIsNot()
    {
        var watch = new HeartbeatWatch(s_timeout, s_period, _time);
        Worker a = new("a") { Last = watch.Now }, b = new("b") { Last = watch.Now };
        Assert.Empty(Run(watch, _time, TimeSpan.FromSeconds(2.8), [a, b], a));
        Assert.Equal(["b"], Run(watch, _time, TimeSpan.FromSeconds(1), [a, b], a));
        Assert.Equal(0, watch.Stalls);
    }

    [Fact]
    public void Silent_CoordinatorStalledTenSeconds_KeepsWorkersThatBeatAfterwards()
    {
        var watch = new HeartbeatWatch(s_timeout, s_period, _time);
        Worker a = new("a") { Last = watch.Now }, b = new("b") { Last = watch.Now };
        Assert.Empty(Run(watch, _time, TimeSpan.FromSeconds(1), [a, b], a, b));

        _time.Advance(TimeSpan.FromSeconds(10)); // the coordinator did not run: no check, no heartbeat read
        Assert.Empty(watch.Silent([a, b], w => w.Last));
        Assert.Equal(1, watch.Stalls);
        Assert.Empty(Run(watch, _time, TimeSpan.FromSeconds(5), [a, b], a, b)); // their queued heartbeats arrive
    }

    [Fact]
    public void Silent_WorkerStillQuietAWholeTimeoutAfterAStall_IsLost()
    {
        var watch = new HeartbeatWatch(s_timeout, s_period, _time);
        Worker a = new("a") { Last = watch.Now }, b = new("b") { Last = watch.Now };
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(watch.Silent([a, b], w => w.Last));
        Assert.Empty(Run(watch, _time, TimeSpan.FromSeconds(2.8), [a, b], a));
        Assert.Equal(["b"], Run(watch, _time, TimeSpan.FromSeconds(1), [a, b], a));
    }

    [Fact]
    public async Task Coordinator_ClockJumpsTenSecondsWithRealWorkers_KeepsThemAndRunsTheNextJob()
    {
        string secretFile = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secretFile);
        await using var coordinator = new Coordinator(new CoordinatorOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Secret = Authentication.ReadSecret(secretFile),
            CacheDirectory = Path.Combine(_dir, "cache"),
            TimeProvider = _time,
        });
        coordinator.Start();
        await using var workers = new LocalProcessProvider(coordinator,
            n => Repo.WorkerProcess(coordinator.EndPoint.ToString(), 1, secretFile, Path.Combine(_dir, $"worker-{n}")), Path.Combine(_dir, "logs"));
        await workers.AcquireAsync(2, CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(10)); // as a coordinator stopped for 10 s sees it when it runs again
        await Task.Delay(TimeSpan.FromSeconds(1)); // several checks of the watch
        Assert.Equal(2, coordinator.WorkerCount);

        string output = Path.Combine(_dir, "components.tsv");
        var (exit, _, err) = Repo.Run(TimeSpan.FromMinutes(3), Repo.Launcher, "submit", "--coordinator", coordinator.EndPoint.ToString(), "--secret-file", secretFile,
            "--workers", "2", "--", Repo.Example("ConnectedComponents"), "--edges", Repo.TestData("gnm300.edges"), "--vertices", Repo.TestData("gnm300.vertices"), "--output", output);
        Assert.True(exit == 0, err);
        Assert.Equal(File.ReadAllLines(Repo.TestData("gnm300.components.tsv")).Where(l => l.Length > 0).Order(StringComparer.Ordinal),
            File.ReadAllLines(output).Order(StringComparer.Ordinal));
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(Path.Combine(_dir, "secret")));
        Directory.Delete(_dir, recursive: true);
    }
}
