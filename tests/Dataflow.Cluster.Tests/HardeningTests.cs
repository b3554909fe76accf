using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Hosting;
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

    /// <summary>
    /// Connects and, without waiting for anything, claims a frame of <paramref name="claimed"/> bytes and
    /// streams it; returns the bytes it got to write before the server cut it off. (With TLS the server
    /// expects a TLS hello and fails on the first record; without, it reads the frame header.)
    /// </summary>
    private static async Task<long> StreamHugeFrameBeforeAuthentication(IPEndPoint server, int claimed)
    {
        using var raw = new TcpClient();
        await raw.ConnectAsync(server);
        var stream = raw.GetStream();
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

    /// <summary>A coordinator process (with a new secret) listening on a free loopback port.</summary>
    private async Task<(Repo.Child Process, IPEndPoint EndPoint, string SecretFile)> StartCoordinator(IReadOnlyDictionary<string, string> env)
    {
        var secretFile = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secretFile);
        int port = Repo.FreePort();
        var coordinator = new Repo.Child(env, Repo.Launcher, "coordinator", "--listen", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--secret-file", secretFile, "--cache-dir", Path.Combine(_dir, "cache"));
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        try
        {
            await Repo.WaitListening(endPoint, coordinator);
        }
        catch
        {
            coordinator.Dispose();
            throw;
        }
        return (coordinator, endPoint, secretFile);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task Coordinator_TwoUnauthenticatedConnectionsStreaming200MiBFrames_PeakMemoryGrowsLessThan64MB(string tls)
    {
        // A real coordinator process: its peak resident memory (VmHWM) before and after the probe.
        var env = new Dictionary<string, string> { ["DATAFLOW_TLS"] = tls };
        var (coordinator, endPoint, secretFile) = await StartCoordinator(env);
        using var _ = coordinator;
        // A status query first (a legitimate client, from a process with the same setting), so the baseline includes what serving one costs.
        var status = Repo.Run(TimeSpan.FromMinutes(1), env, Repo.Launcher, "status", "--coordinator", endPoint.ToString(), "--secret-file", secretFile);
        Assert.True(status.Exit == 0, status.Err);
        long before = Repo.PeakResidentBytes(coordinator.Id);
        var probes = await Task.WhenAll(StreamHugeFrameBeforeAuthentication(endPoint, 200 << 20), StreamHugeFrameBeforeAuthentication(endPoint, 200 << 20));
        await Task.Delay(500);
        long after = Repo.PeakResidentBytes(coordinator.Id);
        Assert.All(probes, written => Assert.True(written < 64L << 20, $"wrote {written} bytes before being cut off"));
        Assert.True(after - before < 64L << 20, $"peak RSS grew from {before >> 20} MiB to {after >> 20} MiB");
        // And it still serves a legitimate client.
        status = Repo.Run(TimeSpan.FromMinutes(1), env, Repo.Launcher, "status", "--coordinator", endPoint.ToString(), "--secret-file", secretFile);
        Assert.True(status.Exit == 0, status.Err);
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
                idle.Add(c);
            }
            Assert.True(SpinWait.SpinUntil(() => server.Handshaking == 3, TimeSpan.FromSeconds(30)));
            using (var extra = new TcpClient())
            {
                await extra.ConnectAsync(server.EndPoint);
                // Closed at once: nothing was read from it or allocated for it.
                Assert.Equal(0, await ReadUntilClosed(extra.GetStream()));
                Assert.Equal(3, server.Handshaking);
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
        // Nothing is sent: the server closes after its handshake deadline.
        await ReadUntilClosed(raw.GetStream());
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

    /// <summary>A TCP relay on loopback to <paramref name="target"/> that records every byte either way.</summary>
    private sealed class RecordingRelay : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly MemoryStream _seen = new();
        private readonly CancellationTokenSource _stop = new();

        public RecordingRelay(IPEndPoint target)
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    TcpClient client;
                    try
                    {
                        client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    }
                    catch (Exception)
                    {
                        return;
                    }
                    var upstream = new TcpClient();
                    await upstream.ConnectAsync(target);
                    _ = Pump(client.GetStream(), upstream.GetStream(), client, upstream);
                    _ = Pump(upstream.GetStream(), client.GetStream(), client, upstream);
                }
            });
        }

        public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

        public byte[] Seen
        {
            get
            {
                lock (_seen) return _seen.ToArray();
            }
        }

        private async Task Pump(NetworkStream from, NetworkStream to, TcpClient a, TcpClient b)
        {
            var buffer = new byte[64 << 10];
            try
            {
                int n;
                while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    lock (_seen) _seen.Write(buffer, 0, n);
                    await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
            }
            catch (Exception)
            {
            }
            a.Dispose();
            b.Dispose();
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
        }
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task Submit_ThroughARecordingRelay_JobDllIsOnTheWireOnlyWithoutTls(string tls)
    {
        var env = new Dictionary<string, string> { ["DATAFLOW_TLS"] = tls };
        var (coordinator, endPoint, secretFile) = await StartCoordinator(env);
        using var _ = coordinator;
        using var relay = new RecordingRelay(endPoint);
        // The coordinator has no workers: the job fails, but only after the submitter shipped its files through the relay.
        var program = Repo.Example("PageRank");
        var submit = Repo.Run(TimeSpan.FromMinutes(2), env, Repo.Launcher, "submit", "--coordinator", relay.EndPoint.ToString(), "--secret-file", secretFile,
            "--workers", "1", "--", program, "--edges", Repo.TestData("karate.edges"));
        Assert.Contains("free worker", submit.Err, StringComparison.Ordinal);
        var dll = File.ReadAllBytes(program);
        var slice = dll.AsSpan(dll.Length / 2, 64).ToArray();
        Assert.True(slice.Distinct().Count() > 8, "a slice of the program with some variety");
        bool onTheWire = relay.Seen.AsSpan().IndexOf(slice) >= 0;
        Assert.Equal(tls == "off", onTheWire);
    }

    [Fact]
    public async Task Connect_ThroughARelayThatTerminatesTls_FailsAuthenticationOnBothEnds()
    {
        // A man in the middle with its own certificate who relays the inner bytes faithfully: the proofs are bound to the server's certificate.
        await using var server = EchoServer();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=mitm", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var mitm = Task.Run(async () =>
        {
            using var victim = await listener.AcceptTcpClientAsync();
            await using var toVictim = new System.Net.Security.SslStream(victim.GetStream());
            await toVictim.AuthenticateAsServerAsync(certificate);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(server.EndPoint);
            await using var toServer = new System.Net.Security.SslStream(upstream.GetStream(), false, (_, _, _, _) => true);
            await toServer.AuthenticateAsClientAsync("dataflow");
            var a = toVictim.CopyToAsync(toServer);
            var b = toServer.CopyToAsync(toVictim);
            try
            {
                await Task.WhenAny(a, b);
            }
            catch (IOException)
            {
            }
        });
        var e = await Assert.ThrowsAsync<ProtocolException>(() => FrameServer.ConnectAsync((IPEndPoint)listener.LocalEndpoint, s_secret));
        Assert.Contains("Authentication failed", e.Message, StringComparison.Ordinal);
        Assert.True(SpinWait.SpinUntil(() => server.Rejected == 1, TimeSpan.FromSeconds(30)));
        Assert.Equal(0, server.Accepted);
        listener.Stop();
        await mitm.WaitAsync(TimeSpan.FromSeconds(60)).ContinueWith(_ => { });
    }
}
