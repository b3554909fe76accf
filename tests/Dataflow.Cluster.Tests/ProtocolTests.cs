using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>The coordinator protocol spoken directly over loopback by test participants.</summary>
public sealed class ProtocolTests : IAsyncLifetime
{
    private readonly byte[] _secret = "fedcba9876543210fedcba9876543210"u8.ToArray();
    private readonly string _cache = Directory.CreateTempSubdirectory("dataflow-protocol-").FullName;
    private Coordinator _coordinator = null!;

    public Task InitializeAsync()
    {
        _coordinator = new Coordinator(new CoordinatorOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), Secret = _secret, CacheDirectory = _cache });
        _coordinator.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        Directory.Delete(_cache, recursive: true);
    }

    private async Task<(ControlChannel Submitter, ControlChannel Worker, StartJob Job)> StartJobAsync()
    {
        var worker = await ControlChannel.ConnectAsync(_coordinator.EndPoint, _secret);
        await worker.SendAsync(new RegisterWorker("test", "127.0.0.1", 1, 1, Environment.ProcessId));
        Assert.IsType<Registered>(await worker.ReceiveAsync());
        var submitter = await ControlChannel.ConnectAsync(_coordinator.EndPoint, _secret);
        await submitter.SendAsync(new SubmitJob("Fake.dll", [], [], 1, "127.0.0.1", 1));
        Assert.Empty(Assert.IsType<NeedFiles>(await submitter.ReceiveAsync()).Hashes);
        var start = Assert.IsType<StartJob>(await submitter.ReceiveAsync());
        var workerStart = Assert.IsType<StartJob>(await worker.ReceiveAsync());
        Assert.Equal(0, start.Index);
        Assert.Equal(1, workerStart.Index);
        return (submitter, worker, start);
    }

    [Fact]
    public async Task StepReady_DifferentFingerprints_FailsJobNamingTheMismatch()
    {
        var (submitter, worker, start) = await StartJobAsync();
        await using var s = submitter;
        await using var w = worker;
        await submitter.SendAsync(new StepReady(start.Job, 1, "aaaaaaaaaaaaaaaa", "Collect", [1], "", ""));
        await worker.SendAsync(new StepReady(start.Job, 1, "bbbbbbbbbbbbbbbb", "Collect", [1], "", ""));
        foreach (var c in new[] { submitter, worker })
        {
            var failed = Assert.IsType<JobFailed>(await c.ReceiveAsync());
            Assert.Contains("Plan fingerprint mismatch at step 1", failed.Message, StringComparison.Ordinal);
            Assert.Contains("bbbbbbbbbbbbbbbb", failed.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task StepReady_SameFingerprints_GoesAndCompletesWithAllStatistics()
    {
        var (submitter, worker, start) = await StartJobAsync();
        await using var s = submitter;
        await using var w = worker;
        await submitter.SendAsync(new StepReady(start.Job, 1, "cccccccccccccccc", "Collect", [1], "", ""));
        await worker.SendAsync(new StepReady(start.Job, 1, "cccccccccccccccc", "Collect", [1], "", ""));
        var go = Assert.IsType<StepGo>(await submitter.ReceiveAsync());
        Assert.IsType<StepGo>(await worker.ReceiveAsync());
        var decision = Assert.Single(go.Decisions);
        Assert.Equal(1, decision.Parallelism);
        Assert.Equal([WorkerStartId(start)], decision.Workers);
        var task = new Dataflow.TaskStatistics("Map", 0, "w1", 10, 10, 0, 0, 1, 0, 0, 1, 0);
        await worker.SendAsync(new StepDone(start.Job, 1, [task]));
        await submitter.SendAsync(new StepDone(start.Job, 1, []));
        var complete = Assert.IsType<StepComplete>(await submitter.ReceiveAsync());
        Assert.Equal(task, Assert.Single(complete.Tasks));
    }

    private static string WorkerStartId(StartJob start) => start.Participants[1].Id;

    [Fact]
    public async Task ControlCodec_TruncatedOrUnknownMessage_IsProtocolError()
    {
        var bytes = ControlCodec.Encode(new StepReady(1, 2, "ffffffffffffffff", "x", [2, 4], "bottleneck-aware", "arima"));
        var decoded = Assert.IsType<StepReady>(ControlCodec.Decode(bytes));
        Assert.Equal(("ffffffffffffffff", "x", "bottleneck-aware", "arima"), (decoded.Fingerprint, decoded.Description, decoded.Placement, decoded.Predictor));
        Assert.Equal([2, 4], decoded.Parallelisms);
        Assert.Throws<ProtocolException>(() => ControlCodec.Decode(bytes.AsMemory(0, bytes.Length - 3)));
        Assert.Throws<ProtocolException>(() => ControlCodec.Decode(new byte[] { 250, 1, 2 }));
        Assert.Throws<ProtocolException>(() => ControlCodec.Decode(ReadOnlyMemory<byte>.Empty));
        await Task.CompletedTask;
    }
}
