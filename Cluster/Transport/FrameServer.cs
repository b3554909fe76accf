using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Accepts TCP connections, secures each (TLS, then the shared secret: <see cref="SecureChannel"/>) and hands it to a handler.
/// A connection that fails authentication or breaks the protocol is logged and dropped; nothing a
/// peer sends can stop the server.
/// </summary>
public sealed partial class FrameServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly byte[] _secret;
    private readonly Func<FrameConnection, CancellationToken, Task> _handler;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxFrameBytes;
    private readonly Dictionary<IPAddress, int> _handshaking = new();
    private readonly DropLog _drops;
    private Task? _acceptLoop;
    private int _accepted;
    private int _rejected;
    private int _handshakingTotal;

    /// <summary>Creates a server on <paramref name="endPoint"/> (port 0 picks a free port).</summary>
    public FrameServer(IPEndPoint endPoint, byte[] secret, Func<FrameConnection, CancellationToken, Task> handler,
        ILogger? logger = null, int maxFrameBytes = 16 << 20)
    {
        _listener = new TcpListener(endPoint);
        _secret = secret;
        _handler = handler;
        _logger = logger ?? NullLogger.Instance;
        _maxFrameBytes = maxFrameBytes;
        _drops = new DropLog(_logger);
    }

    /// <summary>Connections that may be in their handshake at once; more are closed at once.</summary>
    public int MaxHandshaking { get; init; } = 64;

    /// <summary>Connections from one address that may be in their handshake at once (all local workers share 127.0.0.1).</summary>
    public int MaxHandshakingPerAddress { get; init; } = 32;

    /// <summary>The bound address.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections that authenticated.</summary>
    public int Accepted => _accepted;

    /// <summary>Connections in their handshake now.</summary>
    public int Handshaking
    {
        get
        {
            lock (_handshaking) return _handshakingTotal;
        }
    }

    /// <summary>Connections dropped for a failed authentication or a protocol error.</summary>
    public int Rejected => _rejected;

    /// <summary>Starts listening.</summary>
    public void Start()
    {
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(_logger, e.Message);
                continue;
            }
            var address = (client.Client.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (!TryAdmit(address))
            {
                // Closed before anything is read or allocated for it: a flood of strangers costs a socket each, briefly.
                Interlocked.Increment(ref _rejected);
                _drops.Dropped(address.ToString(), "too many connections in their handshake");
                client.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(client, address));
        }
    }

    private bool TryAdmit(IPAddress address)
    {
        lock (_handshaking)
        {
            _handshaking.TryGetValue(address, out int n);
            if (_handshakingTotal >= MaxHandshaking || n >= MaxHandshakingPerAddress) return false;
            _handshaking[address] = n + 1;
            _handshakingTotal++;
            return true;
        }
    }

    private void Admitted(IPAddress address)
    {
        lock (_handshaking)
        {
            if (--_handshaking[address] == 0) _handshaking.Remove(address);
            _handshakingTotal--;
        }
    }

    private async Task ServeAsync(TcpClient client, IPAddress address)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        client.NoDelay = true;
        Stream stream = client.GetStream();
        FrameConnection? connection = null;
        bool handshaking = true;
        try
        {
            // The handshake reads the stream with a small frame limit; only an authenticated peer gets buffers.
            stream = await SecureChannel.AcceptAsync(stream, _secret, _stop.Token).ConfigureAwait(false);
            Admitted(address);
            handshaking = false;
            Interlocked.Increment(ref _accepted);
            connection = new FrameConnection(stream, _maxFrameBytes);
            await _handler(connection, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ProtocolException or IOException or OperationCanceledException or SocketException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _rejected);
                _drops.Dropped(remote, e.Message);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _rejected);
            LogHandlerFailed(_logger, remote, e);
        }
        finally
        {
            if (handshaking) Admitted(address);
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else await stream.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
        }
    }

    /// <summary>Connects to a server and authenticates.</summary>
    public static async Task<FrameConnection> ConnectAsync(IPEndPoint endPoint, byte[] secret, CancellationToken cancellationToken = default, int maxFrameBytes = 16 << 20)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            var stream = await SecureChannel.ConnectAsync(client.GetStream(), secret, cancellationToken).ConfigureAwait(false);
            return new FrameConnection(stream, maxFrameBytes);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection handler for {Remote} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);
}
