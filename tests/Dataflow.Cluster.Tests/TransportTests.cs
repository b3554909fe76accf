using System.Net;
using System.Net.Sockets;
using System.Text;
using Dataflow.Runtime.Serialization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>Frames, authentication and flow control over real TCP sockets on loopback.</summary>
public class TransportTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("a-shared-secret-of-some-length");

    /// <summary>A server that echoes every frame back.</summary>
    private static FrameServer EchoServer()
    {
        var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), s_secret, async (c, ct) =>
        {
            while (await c.ReceiveAsync(ct) is { } frame) await c.SendAsync(frame.Type, frame.Payload, ct);
        }, maxFrameBytes: 1 << 20);
        server.Start();
        return server;
    }

    private static async Task AssertEchoWorks(FrameServer server)
    {
        await using var c = await FrameServer.ConnectAsync(server.EndPoint, s_secret);
        await c.SendAsync(FrameType.Control, new byte[] { 1, 2, 3 });
        var back = await c.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(FrameType.Control, back!.Value.Type);
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Value.Payload.ToArray());
    }

    [Fact]
    public async Task ConnectAsync_RightSecret_AuthenticatesAndExchangesFrames()
    {
        await using var server = EchoServer();
        await AssertEchoWorks(server);
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task ConnectAsync_WrongSecret_IsRejectedAndServerStaysUp()
    {
        await using var server = EchoServer();
        var e = await Assert.ThrowsAsync<ProtocolException>(() =>
            FrameServer.ConnectAsync(server.EndPoint, Encoding.UTF8.GetBytes("not-the-right-secret-at-all")));
        Assert.Contains("Authentication failed", e.Message);
        await AssertEchoWorks(server);
        Assert.True(SpinWait.SpinUntil(() => server.Rejected == 1, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("oversized")]
    [InlineData("unknown-type")]
    [InlineData("truncated")]
    public async Task Server_MalformedInput_DropsConnectionAndStaysUp(string kind)
    {
        await using var server = EchoServer();
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(server.EndPoint);
            var stream = raw.GetStream();
            byte[] bytes = kind switch
            {
                "garbage" => Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919)).ToArray(),
                "oversized" => [0xFF, 0xFF, 0xFF, 0x7F, 2],
                "unknown-type" => [1, 0, 0, 0, 99],
                _ => [40, 0, 0, 0, 2, 1, 2],
            };
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
            if (kind == "truncated") raw.Client.Shutdown(SocketShutdown.Send);
            // The server must close the connection: reading ends (0 bytes or a reset) within seconds.
            var buffer = new byte[8192];
            var read = Task.Run(async () =>
            {
                try
                {
                    while (await stream.ReadAsync(buffer) > 0) { }
                }
                catch (IOException) { }
            });
            await read.WaitAsync(TimeSpan.FromSeconds(10));
        }
        Assert.True(SpinWait.SpinUntil(() => server.Rejected == 1, TimeSpan.FromSeconds(5)));
        await AssertEchoWorks(server);
    }

    [Fact]
    public async Task SendReceive_SerializedBatches_RoundTripInOrder()
    {
        await using var server = EchoServer();
        await using var c = await FrameServer.ConnectAsync(server.EndPoint, s_secret);
        var serializer = Serializers.Get<(string?, long)>();
        var batches = Enumerable.Range(0, 50).Select(b => Enumerable.Range(0, 100).Select(i => ((string?)$"w{b}-{i}", (long)i * b)).ToArray()).ToList();
        var writer = new ByteWriter();
        foreach (var batch in batches)
        {
            writer.Clear();
            serializer.WriteBatch(writer, batch);
            await c.SendAsync(FrameType.Data, writer.WrittenMemory.ToArray());
        }
        foreach (var batch in batches)
        {
            var frame = await c.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(batch, serializer.ReadBatch(new ByteReader(frame!.Value.Payload)));
        }
        Assert.Equal(c.BytesIn, c.BytesOut);
    }
}
