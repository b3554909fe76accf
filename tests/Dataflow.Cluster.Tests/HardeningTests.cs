using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Dataflow.Cluster.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Probes of a stranger and a careless operator: memory before authentication, connection floods,
/// planted cache files, secret files others can read, folders open to other users.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HardeningTests : IDisposable
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("a-shared-secret-of-some-length");
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-hardening-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static FrameServer EchoServer(int maxFrameBytes = 1 << 20, int maxHandshaking = 64)
    {
        var server = new FrameServer(new IPEndPoint(IPAddress.Loopback, 0), s_secret, async (c, ct) =>
        {
            while (await c.ReceiveAsync(ct) is { } frame) await c.SendAsync(frame.Type, frame.Payload, ct);
        }, maxFrameBytes: maxFrameBytes)
        { MaxHandshaking = maxHandshaking };
        server.Start();
        return server;
    }

    private static async Task AssertEchoWorks(FrameServer server)
    {
        await using var c = await FrameServer.ConnectAsync(server.EndPoint, s_secret);
        await c.SendAsync(FrameType.Control, new byte[] { 1, 2, 3 });
        var back = await c.ReceiveAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new byte[] { 1, 2, 3 }, back!.Value.Payload.ToArray());
    }

    /// <summary>Reads until the peer closes the connection (0 bytes or a reset); the hang guard fails the test.</summary>
    private static async Task<int> ReadUntilClosed(NetworkStream stream)
    {
        var buffer = new byte[4096];
        int total = 0;
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, guard.Token)) > 0) total += n;
        }
        catch (IOException)
        {
        }
        return total;
    }

    /// <summary>Connects, reads the server's hello, then claims a frame of <paramref name="claimed"/> bytes and streams it; returns the bytes it got to write before the server cut it off.</summary>
    private static async Task<long> StreamHugeFrameBeforeAuthentication(IPEndPoint server, int claimed)
    {
        using var raw = new TcpClient();
        await raw.ConnectAsync(server);
        var stream = raw.GetStream();
        var hello = new byte[5 + 32];
        await stream.ReadExactlyAsync(hello);
        var header = new byte[5];
        BinaryPrimitives.WriteInt32LittleEndian(header, claimed + 1);
        header[4] = (byte)FrameType.Auth;
        var chunk = new byte[1 << 20];
        long written = 0;
        try
        {
            await stream.WriteAsync(header);
            while (written < claimed)
            {
                await stream.WriteAsync(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // The server closed the connection: what it should do.
        }
        return written;
    }

    [Fact]
    public async Task Server_FrameClaiming200MiBBeforeAuthentication_IsCutOffAfterItsHeader()
    {
        // A server that accepts large frames once a peer has authenticated (as the coordinator does).
        await using var server = EchoServer(maxFrameBytes: 256 << 20);
        long written = await StreamHugeFrameBeforeAuthentication(server.EndPoint, 200 << 20);
        // Only what the socket buffers hold before the server's reset arrives; not the frame.
        Assert.True(written < 64L << 20, $"wrote {written} bytes of the frame before being cut off");
        Assert.True(SpinWait.SpinUntil(() => server.Rejected == 1, TimeSpan.FromSeconds(30)));
        await AssertEchoWorks(server);
    }

    [Fact]
    public async Task Coordinator_TwoUnauthenticatedConnectionsStreaming200MiBFrames_PeakMemoryGrowsLessThan64MB()
    {
        // A real coordinator process: its peak resident memory (VmHWM) before and after the probe.
        var secretFile = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secretFile);
        int port = FreePort();
        using var coordinator = new Repo.Child(Repo.Launcher, "coordinator", "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--secret-file", secretFile, "--cache-dir", Path.Combine(_dir, "cache"));
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        await WaitListening(endPoint, coordinator);
        // A legitimate client first, so the baseline includes what serving one costs.
        await using (var channel = await ControlChannel.ConnectAsync(endPoint, Authentication.ReadSecret(secretFile)))
        {
        }
        long before = PeakResidentBytes(coordinator.Id);
        var probes = await Task.WhenAll(StreamHugeFrameBeforeAuthentication(endPoint, 200 << 20), StreamHugeFrameBeforeAuthentication(endPoint, 200 << 20));
        await Task.Delay(500);
        long after = PeakResidentBytes(coordinator.Id);
        Assert.All(probes, written => Assert.True(written < 64L << 20, $"wrote {written} bytes before being cut off"));
        Assert.True(after - before < 64L << 20, $"peak RSS grew from {before >> 20} MiB to {after >> 20} MiB");
        // And it still serves a legitimate client.
        await using var again = await ControlChannel.ConnectAsync(endPoint, Authentication.ReadSecret(secretFile));
        Assert.False(coordinator.HasExited);
    }

    [Fact]
    public async Task Server_MoreHandshakesThanTheCap_ClosesTheExtraAtOnceAndServesOnceTheyEnd()
    {
        await using var server = EchoServer(maxHandshaking: 3);
        var idle = new List<TcpClient>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var c = new TcpClient();
                await c.ConnectAsync(server.EndPoint);
                await c.GetStream().ReadExactlyAsync(new byte[5 + 32]); // admitted: it got the hello
                idle.Add(c);
            }
            using (var extra = new TcpClient())
            {
                await extra.ConnectAsync(server.EndPoint);
                // Closed before any hello: nothing was read from it or allocated for it.
                Assert.Equal(0, await ReadUntilClosed(extra.GetStream()));
            }
            Assert.True(SpinWait.SpinUntil(() => server.Rejected >= 1, TimeSpan.FromSeconds(30)));
        }
        finally
        {
            foreach (var c in idle) c.Dispose();
        }
        // Once the idle ones are gone a real client gets in.
        Assert.True(SpinWait.SpinUntil(() => server.Rejected >= 4, TimeSpan.FromSeconds(30)), $"rejected {server.Rejected}");
        await AssertEchoWorks(server);
    }

    [Fact]
    public async Task Server_PeerSilentAfterConnecting_IsDroppedAtTheHandshakeDeadline()
    {
        await using var server = EchoServer();
        using var raw = new TcpClient();
        await raw.ConnectAsync(server.EndPoint);
        // The hello arrives, then nothing is sent back: the server closes after its handshake deadline.
        Assert.Equal(5 + 32, await ReadUntilClosed(raw.GetStream()));
        Assert.True(SpinWait.SpinUntil(() => server.Rejected == 1, TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void DropLog_ManyDropsWithinASecond_LogsOneLineThenCountsTheRest()
    {
        var time = new FakeTimeProvider();
        var logger = new ListLogger();
        var log = new DropLog(logger, time);
        for (int i = 0; i < 500; i++) log.Dropped("127.0.0.1:1", "garbage");
        Assert.Single(logger.Lines);
        time.Advance(TimeSpan.FromSeconds(1.5));
        log.Dropped("127.0.0.1:2", "garbage");
        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains("499 more dropped", logger.Lines[1], StringComparison.Ordinal);
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    [Fact]
    public void FileStore_FileChangedInTheCache_IsNotUsedAndIsRemoved()
    {
        var store = new FileStore(Path.Combine(_dir, "cache"));
        var content = Encoding.UTF8.GetBytes("the real program");
        var hash = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        Assert.True(store.Append(new FileChunk(hash, 0, content, Last: true)));
        Assert.True(store.Has(hash));
        // Someone plants other content under the real file's hash.
        File.WriteAllText(store.PathOf(hash), "a planted program");
        Assert.False(store.Has(hash));
        Assert.False(File.Exists(store.PathOf(hash)));
        Assert.Equal(1, store.Tampered);
    }

    [Fact]
    public void FileStore_FileSwappedAfterTheCheck_MaterializeRefusesIt()
    {
        var store = new FileStore(Path.Combine(_dir, "cache"));
        var content = Encoding.UTF8.GetBytes("the real program");
        var hash = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        store.Append(new FileChunk(hash, 0, content, Last: true));
        Assert.True(store.Has(hash));
        File.WriteAllText(store.PathOf(hash), "a planted program");
        var job = Path.Combine(_dir, "job");
        var e = Assert.Throws<ProtocolException>(() => store.Materialize([new FileEntry("Program.dll", hash, content.Length)], job));
        Assert.Contains("does not match its hash", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(job, "Program.dll")));
    }

    [Fact]
    public void FileStore_NewFolder_IsPrivateToItsOwner()
    {
        var cache = Path.Combine(_dir, "cache");
        _ = new FileStore(cache);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cache));
    }

    [Fact]
    public void PrivateDirectory_ExistingFolderOpenToOthers_IsMadePrivate()
    {
        var folder = Path.Combine(_dir, "open");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)Convert.ToInt32("777", 8));
        PrivateDirectory.Create(folder);
        Assert.Equal((UnixFileMode)Convert.ToInt32("700", 8), File.GetUnixFileMode(folder));
    }

    [Fact]
    public void WriteNewSecret_NewFile_IsCreatedOwnerReadWriteOnly()
    {
        var path = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal(64, Authentication.ReadSecret(path).Length);
        // Never over an existing file (which another user could have planted with a known secret).
        Assert.Throws<IOException>(() => Authentication.WriteNewSecret(path));
    }

    [Theory]
    [InlineData("644")]
    [InlineData("640")]
    [InlineData("604")]
    [InlineData("660")]
    public void ReadSecret_FileReadableByOthers_IsRefusedSayingHowToFixIt(string mode)
    {
        var path = Path.Combine(_dir, "secret");
        File.WriteAllText(path, "0123456789abcdef0123456789abcdef");
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32(mode, 8));
        var e = Assert.Throws<UnauthorizedAccessException>(() => Authentication.ReadSecret(path));
        Assert.Contains($"chmod 600 {path}", e.Message, StringComparison.Ordinal);
        Assert.Contains("0" + mode, e.Message, StringComparison.Ordinal);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(32, Authentication.ReadSecret(path).Length);
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static async Task WaitListening(IPEndPoint endPoint, Repo.Child process)
    {
        for (int i = 0; i < 600; i++)
        {
            Assert.False(process.HasExited, process.Err);
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(endPoint);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail("the coordinator did not start listening");
    }

    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
