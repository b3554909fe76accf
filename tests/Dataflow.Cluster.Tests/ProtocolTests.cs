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

    /// <summary>An instance of a message type with every field filled (strings, numbers, arrays of one, nested records likewise).</summary>
    private static object Sample(Type type, int depth = 0)
    {
        if (type == typeof(string)) return "s";
        if (type == typeof(int)) return 7;
        if (type == typeof(long)) return 1L << 40;
        if (type == typeof(double)) return 0.5;
        if (type == typeof(bool)) return true;
        if (type == typeof(byte[])) return new byte[] { 1, 2, 3 };
        if (type == typeof(TaskStatistics)) return new TaskStatistics("op", 1, "w1", 2, 3, 4, 5, 6.5, 7.5, 8.5, 9.5, 10);
        if (type.IsArray)
        {
            var array = Array.CreateInstance(type.GetElementType()!, 1);
            array.SetValue(Sample(type.GetElementType()!, depth + 1), 0);
            return array;
        }
        var ctor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        return ctor.Invoke(ctor.GetParameters().Select(p => Sample(Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType, depth + 1)).ToArray());
    }

    [Fact]
    public void ControlCodec_EveryMessageType_RoundTripsUnderItsExplicitUnionKey()
    {
        var unions = typeof(ControlMessage).GetCustomAttributes(typeof(MessagePack.UnionAttribute), false).Cast<MessagePack.UnionAttribute>().ToList();
        // Every concrete message is a union case, each under its own key.
        var messages = typeof(ControlMessage).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(ControlMessage)) && !t.IsAbstract).ToList();
        Assert.Equal(messages.OrderBy(t => t.Name), unions.Select(u => u.SubType).OrderBy(t => t.Name));
        Assert.Equal(unions.Count, unions.Select(u => u.Key).Distinct().Count());
        foreach (var union in unions)
        {
            var message = (ControlMessage)Sample(union.SubType);
            var bytes = ControlCodec.Encode(message);
            // A two-element array: the union key, then the message's keyed fields.
            Assert.Equal(0x92, bytes[0]);
            Assert.Equal(union.Key, bytes[1]);
            var decoded = ControlCodec.Decode(bytes);
            Assert.IsType(union.SubType, decoded);
            Assert.Equal(bytes, ControlCodec.Encode(decoded));
        }
    }

    [Fact]
    public void ControlCodec_Registered_HasTheDocumentedWireForm()
    {
        // [1 (Registered), ["w1"]]: a wire form that only changes on purpose.
        Assert.Equal(new byte[] { 0x92, 0x01, 0x91, 0xa2, (byte)'w', (byte)'1' }, ControlCodec.Encode(new Registered("w1")));
    }

    [Fact]
    public async Task Handshake_PeerOfAnotherBuild_IsRefusedWithAMessageNamingBothBuilds()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var server = await listener.AcceptTcpClientAsync();
        listener.Stop();
        const string other = "protocol 1, engine 0.9, build 0123456789ab";
        var accept = Authentication.AcceptAsync(server.GetStream(), _secret, [], other, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ProtocolException>(() => Authentication.ConnectAsync(client.GetStream(), _secret, [], BuildIdentity.Current, CancellationToken.None));
        Assert.Contains("another build", e.Message, StringComparison.Ordinal);
        Assert.Contains(other, e.Message, StringComparison.Ordinal);
        Assert.Contains(BuildIdentity.Current, e.Message, StringComparison.Ordinal);
        client.Dispose();
        await Assert.ThrowsAnyAsync<Exception>(() => accept);
    }
}
