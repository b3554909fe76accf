using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dataflow.Cluster;
using Xunit.Abstractions;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Blobs over the data planes (<see cref="DataPlane.SendBlobAsync"/>, <see cref="DataPlane.ReceiveBlobAsync"/>),
/// between real data planes on loopback.
/// </summary>
public sealed class BlobTransferTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Job = 7;
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60); // a hang guard
    private readonly byte[] _secret = "0123456789abcdef0123456789abcdef"u8.ToArray();
    private readonly DataPlane[] _planes = new DataPlane[3];

    public Task InitializeAsync()
    {
        for (int i = 0; i < _planes.Length; i++)
        {
            _planes[i] = new DataPlane(new IPEndPoint(IPAddress.Loopback, 0), _secret);
            _planes[i].Start();
        }
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var plane in _planes) await plane.DisposeAsync();
    }

    private static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} bytes, expected {expected.Length}.");
        int at = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(at == expected.Length, $"{what}: first difference at byte {at}.");
    }

    [Fact]
    public async Task ReceiveBlobAsync_TagsAndJobsOfOneSender_DoNotMix()
    {
        var target = _planes[1].EndPoint;
        var blobs = new (int Job, long Tag, byte[] Data)[] { (Job, 1, Payload(10, 1)), (Job, 2, Payload(2 << 20, 2)), (Job + 1, 1, Payload(20, 3)) };
        await Task.WhenAll(blobs.Select(b => _planes[0].SendBlobAsync(target, b.Job, b.Tag, 0, b.Data, CancellationToken.None))).WaitAsync(s_patience);

        foreach (var (job, tag, data) in blobs.Reverse())
        {
            AssertSameBytes(data, await _planes[1].ReceiveBlobAsync(job, tag, 0, CancellationToken.None).WaitAsync(s_patience), $"job {job} tag {tag}");
        }
    }

    private static long StreamTag(int stream, int sequence) => ((long)stream << 32) | (uint)sequence;

    [Fact]
    public async Task ReceiveBlobChunk_MoreBlobsOfOneStreamThanItHolds_WaitsForReceivesAndLosesNothing()
    {
        var target = _planes[1].EndPoint;
        _planes[1].BlobRoomPatience = TimeSpan.FromMinutes(1); // only a receive makes room here (no receive below could wait this long)
        int count = DataPlane.MaxHeldPerStream + 3;
        var blobs = Enumerable.Range(0, count).Select(i => Payload((300 << 10) + i, i)).ToArray(); // more than a chunk each
        // As a move sends its pieces: one after the other (the socket buffers take what the receiver does not read yet).
        for (int i = 0; i < count; i++) await _planes[0].SendBlobAsync(target, Job, StreamTag(3, i), 0, blobs[i], CancellationToken.None).WaitAsync(s_patience);

        await WaitUntilAsync(() => _planes[1].BlobsHeld == DataPlane.MaxHeldPerStream);
        await Task.Delay(300);
        Assert.Equal(DataPlane.MaxHeldPerStream, _planes[1].BlobsHeld); // the next one waits on its connection for room

        for (int i = 0; i < count; i++)
        {
            AssertSameBytes(blobs[i], await _planes[1].ReceiveBlobAsync(Job, StreamTag(3, i), 0, CancellationToken.None).WaitAsync(s_patience), $"blob {i}");
        }
        Assert.Equal(0, _planes[1].BlobsHeld);
    }

    [Fact]
    public async Task ReceiveBlobChunk_StreamNobodyReads_HoldsUpItsConnectionOnceForThePatience()
    {
        var target = _planes[1].EndPoint;
        _planes[1].BlobRoomPatience = TimeSpan.FromMilliseconds(500);
        for (int i = 0; i < DataPlane.MaxHeldPerStream; i++) await _planes[0].SendBlobAsync(target, Job, StreamTag(4, i), 0, Payload(1000, i), CancellationToken.None).WaitAsync(s_patience);
        await WaitUntilAsync(() => _planes[1].BlobsHeld == DataPlane.MaxHeldPerStream);

        // One more of the unread stream waits for room, and the blob of another stream behind it on the connection with it.
        var watch = Stopwatch.StartNew();
        await _planes[0].SendBlobAsync(target, Job, StreamTag(4, DataPlane.MaxHeldPerStream), 0, Payload(1000, 50), CancellationToken.None).WaitAsync(s_patience);
        var other = Payload(2000, 99);
        await _planes[0].SendBlobAsync(target, Job, StreamTag(5, 0), 0, other, CancellationToken.None).WaitAsync(s_patience);
        AssertSameBytes(other, await _planes[1].ReceiveBlobAsync(Job, StreamTag(5, 0), 0, CancellationToken.None).WaitAsync(s_patience), "other stream");
        output.WriteLine($"The blob behind an unread stream arrived after {watch.Elapsed.TotalSeconds:F2} s.");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450), $"{watch.Elapsed.TotalMilliseconds:F0} ms: not held up");

        // After that the stream waits no more: its next blobs are all taken in.
        for (int i = 1; i <= 3; i++) await _planes[0].SendBlobAsync(target, Job, StreamTag(4, DataPlane.MaxHeldPerStream + i), 0, Payload(1000, i), CancellationToken.None).WaitAsync(s_patience);
        await WaitUntilAsync(() => _planes[1].BlobsHeld == DataPlane.MaxHeldPerStream + 4);
    }

    [Fact]
    public async Task ReceiveBlobAsync_BlobArrivedBeforeTheCall_ReturnsIt()
    {
        var small = Payload(1000, 1);
        var empty = Array.Empty<byte>();
        await _planes[0].SendBlobAsync(_planes[1].EndPoint, Job, 5, 0, small, CancellationToken.None).WaitAsync(s_patience);
        await _planes[2].SendBlobAsync(_planes[1].EndPoint, Job, 5, 2, empty, CancellationToken.None).WaitAsync(s_patience);
        await WaitUntilAsync(() => _planes[1].BlobsHeld == 2);

        AssertSameBytes(small, await _planes[1].ReceiveBlobAsync(Job, 5, 0, CancellationToken.None).WaitAsync(s_patience), "small");
        Assert.Empty(await _planes[1].ReceiveBlobAsync(Job, 5, 2, CancellationToken.None).WaitAsync(s_patience));
        Assert.Equal(0, _planes[1].BlobsHeld);
    }

    [Fact]
    public async Task ReceiveRentedBlobAsync_BlobsOfSeveralSizes_ExactBytesInBuffersThatGoBackOnce()
    {
        var target = _planes[1].EndPoint;
        var blobs = new[] { Payload(0, 1), Payload(1, 2), Payload(DataPlane.BlobChunkBytes + 3, 3), Payload(3 << 20, 4) };
        for (int i = 0; i < blobs.Length; i++) await _planes[0].SendBlobAsync(target, Job, 40 + i, 0, blobs[i], CancellationToken.None).WaitAsync(s_patience);
        for (int i = 0; i < blobs.Length; i++)
        {
            var blob = await _planes[1].ReceiveRentedBlobAsync(Job, 40 + i, 0, CancellationToken.None).WaitAsync(s_patience);
            Assert.Equal(blobs[i].Length, blob.Length);
            AssertSameBytes(blobs[i], blob.Memory.ToArray(), $"blob {i}");
            blob.Dispose();
            blob.Dispose(); // a second dispose must not hand the buffer to the pool twice
            Assert.Throws<ObjectDisposedException>(() => blob.Memory);
            if (blobs[i].Length > 0)
            {
                // Returned twice, the pool would hand the same array out twice in a row.
                var first = System.Buffers.ArrayPool<byte>.Shared.Rent(blobs[i].Length);
                var second = System.Buffers.ArrayPool<byte>.Shared.Rent(blobs[i].Length);
                Assert.NotSame(first, second);
                System.Buffers.ArrayPool<byte>.Shared.Return(second);
                System.Buffers.ArrayPool<byte>.Shared.Return(first);
            }
        }
        // A buffer back in the pool serves the next blob: what it held before does not leak into it.
        var next = Payload(3 << 20, 9);
        await _planes[0].SendBlobAsync(target, Job, 50, 0, next, CancellationToken.None).WaitAsync(s_patience);
        using var again = await _planes[1].ReceiveRentedBlobAsync(Job, 50, 0, CancellationToken.None).WaitAsync(s_patience);
        AssertSameBytes(next, again.Memory.ToArray(), "after reuse");
    }

    [Fact]
    public async Task SendBlobAsync_SmallBlobsOnAnOpenConnection_ArriveInOrderAndFailAsTasksOnceTheReceiverIsGone()
    {
        // The first blob opens the connection; the next ones (one frame each) are written by the caller.
        var target = _planes[1].EndPoint;
        var small = Enumerable.Range(0, 20).Select(i => Payload(i * 997 % DataPlane.BlobChunkBytes, i)).ToArray();
        foreach (var (data, i) in small.Select((d, i) => (d, i))) await _planes[0].SendBlobAsync(target, Job, 60 + i, 0, data, CancellationToken.None).WaitAsync(s_patience);
        for (int i = 0; i < small.Length; i++)
        {
            AssertSameBytes(small[i], await _planes[1].ReceiveBlobAsync(Job, 60 + i, 0, CancellationToken.None).WaitAsync(s_patience), $"blob {i}");
        }

        await _planes[1].DisposeAsync();
        IOException? failure = null;
        for (int i = 0; i < 100 && failure is null; i++)
        {
            // Never throws where it is called: a write into a closed connection faults the task.
            var send = _planes[0].SendBlobAsync(target, Job, 100 + i, 0, Payload(1000, i), CancellationToken.None);
            try
            {
                await send.WaitAsync(s_patience);
                await Task.Delay(10); // the kernel may take a write or two before it reports the reset
            }
            catch (IOException e)
            {
                failure = e;
            }
        }
        Assert.NotNull(failure);
        output.WriteLine(failure.Message);
    }

    [Fact]
    public async Task ReceiveBlobAsync_SenderConnectionCutMidBlob_ThrowsIOException()
    {
        await using var proxy = new Proxy(_planes[1].EndPoint, limit: 3 << 20, cut: true);
        var receive = _planes[1].ReceiveBlobAsync(Job, 1, 0, CancellationToken.None);
        var send = _planes[0].SendBlobAsync(proxy.EndPoint, Job, 1, 0, new byte[64 << 20], CancellationToken.None);

        var e = await Assert.ThrowsAsync<IOException>(() => receive.WaitAsync(s_patience));
        output.WriteLine(e.Message);
        await Assert.ThrowsAsync<IOException>(() => send.WaitAsync(s_patience));
    }

    [Fact]
    public async Task SendBlobAsync_CancelledMidBlob_ReceiverThrowsIOException()
    {
        await using var proxy = new Proxy(_planes[1].EndPoint, limit: 3 << 20, cut: false);
        using var cancel = new CancellationTokenSource();
        var receive = _planes[1].ReceiveBlobAsync(Job, 1, 0, CancellationToken.None);
        // Larger than every socket buffer between the two: the sender is inside a chunk when the proxy holds back.
        var send = _planes[0].SendBlobAsync(proxy.EndPoint, Job, 1, 0, new byte[64 << 20], cancel.Token);
        await proxy.LimitReached.WaitAsync(s_patience);
        await cancel.CancelAsync();
        proxy.Resume();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send.WaitAsync(s_patience));
        var e = await Assert.ThrowsAsync<IOException>(() => receive.WaitAsync(s_patience));
        Assert.Contains("abandoned", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReceiveBlobAsync_Cancelled_ThrowsOperationCanceled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _planes[0].ReceiveBlobAsync(Job, 1, 1, cancel.Token).WaitAsync(s_patience));

        // The blob can still be received later.
        var data = Payload(100, 1);
        await _planes[1].SendBlobAsync(_planes[0].EndPoint, Job, 1, 1, data, CancellationToken.None).WaitAsync(s_patience);
        AssertSameBytes(data, await _planes[0].ReceiveBlobAsync(Job, 1, 1, CancellationToken.None).WaitAsync(s_patience), "after cancel");
    }

    [Fact]
    public async Task UnregisterJob_StoredAndAwaitedBlobs_DropsThemAndFailsTheReceive()
    {
        await _planes[0].SendBlobAsync(_planes[1].EndPoint, Job, 1, 0, Payload(100, 1), CancellationToken.None).WaitAsync(s_patience);
        await WaitUntilAsync(() => _planes[1].BlobsHeld == 1);
        var pending = _planes[1].ReceiveBlobAsync(Job, 2, 0, CancellationToken.None);

        _planes[1].UnregisterJob(Job);

        Assert.Equal(0, _planes[1].BlobsHeld);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(s_patience));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _planes[1].ReceiveBlobAsync(Job, 1, 0, CancellationToken.None).WaitAsync(s_patience));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < s_patience, "The condition did not come true in time.");
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// A TCP proxy for one connection that forwards <c>limit</c> bytes towards the target and then
    /// either cuts both sides or holds the rest back until <see cref="Resume"/>.
    /// </summary>
    private sealed class Proxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly TaskCompletionSource _limitReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;

        public Proxy(IPEndPoint target, long limit, bool cut)
        {
            _listener.Start();
            _run = RunAsync(target, limit, cut);
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        /// <summary>Completes once <c>limit</c> bytes went through.</summary>
        public Task LimitReached => _limitReached.Task;

        public void Resume() => _resume.TrySetResult();

        private async Task RunAsync(IPEndPoint target, long limit, bool cut)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(target, _stop.Token);
            var down = upstream.GetStream().CopyToAsync(client.GetStream(), _stop.Token);
            var from = client.GetStream();
            var to = upstream.GetStream();
            var buffer = new byte[64 << 10];
            long forwarded = 0;
            while (true)
            {
                int n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0) break;
                int now = (int)Math.Min(n, limit - forwarded);
                if (now > 0) await to.WriteAsync(buffer.AsMemory(0, now), _stop.Token);
                forwarded += now;
                if (forwarded < limit) continue;
                _limitReached.TrySetResult();
                if (cut) return; // disposing both clients cuts both connections
                await _resume.Task.WaitAsync(_stop.Token);
                if (n > now) await to.WriteAsync(buffer.AsMemory(now, n - now), _stop.Token);
                await from.CopyToAsync(to, _stop.Token);
                break;
            }
            await down;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _resume.TrySetResult();
            try
            {
                await _run;
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // The proxy is torn down with the test.
            }
            _listener.Stop();
            _stop.Dispose();
        }
    }
}
