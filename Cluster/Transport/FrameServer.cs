using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Accepts TCP connections, authenticates each with the shared secret and hands it to a handler.
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
    private Task? _acceptLoop;
    private int _accepted;
    private int _rejected;

    /// <summary>Creates a server on <paramref name="endPoint"/> (port 0 picks a free port).</summary>
    public FrameServer(IPEndPoint endPoint, byte[] secret, Func<FrameConnection, CancellationToken, Task> handler,
        ILogger? logger = null, int maxFrameBytes = 16 << 20)
    {
        _listener = new TcpListener(endPoint);
        _secret = secret;
        _handler = handler;
        _logger = logger ?? NullLogger.Instance;
        _maxFrameBytes = maxFrameBytes;
    }

    /// <summary>The bound address.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>Connections that authenticated.</summary>
    public int Accepted => _accepted;

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
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var remote = client.Client.RemoteEndPoint?.ToString() ?? "?";
        client.NoDelay = true;
        var connection = new FrameConnection(client.GetStream(), _maxFrameBytes);
        try
        {
            await Authentication.AcceptAsync(connection, _secret, _stop.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _accepted);
            await _handler(connection, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ProtocolException or IOException or OperationCanceledException or SocketException)
        {
            if (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _rejected);
                LogDropped(_logger, remote, e.Message);
            }
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _rejected);
            LogHandlerFailed(_logger, remote, e);
        }
        finally
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            client.Dispose();
        }
    }

    /// <summary>Connects to a server and authenticates.</summary>
    public static async Task<FrameConnection> ConnectAsync(IPEndPoint endPoint, byte[] secret, CancellationToken cancellationToken = default, int maxFrameBytes = 16 << 20)
    {
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        var connection = new FrameConnection(client.GetStream(), maxFrameBytes);
        try
        {
            await Authentication.ConnectAsync(connection, secret, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped connection from {Remote}: {Reason}")]
    private static partial void LogDropped(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connection handler for {Remote} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string remote, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);
}
