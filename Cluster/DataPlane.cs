using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Serialization;
using Dataflow.Cluster.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Cluster;

/// <summary>
/// One channel of a job edge between two processes: producer subtask → consumer subtask, within
/// one step (a job run) of one cluster job.
/// </summary>
/// <param name="Job">The cluster job.</param>
/// <param name="Step">The step (the n-th job graph the program ran).</param>
/// <param name="Vertex">The consuming vertex.</param>
/// <param name="Input">The consuming vertex's input.</param>
/// <param name="Consumer">The consumer subtask.</param>
/// <param name="Producer">The producer subtask.</param>
public readonly record struct ChannelKey(int Job, int Step, int Vertex, int Input, int Consumer, int Producer)
{
    /// <summary>Encoded size in bytes.</summary>
    public const int Size = 24;

    /// <summary>Writes the key.</summary>
    public void Write(Span<byte> span)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span, Job);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Step);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Vertex);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], Input);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], Consumer);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], Producer);
    }

    /// <summary>Reads a key.</summary>
    public static ChannelKey Read(ReadOnlySpan<byte> span)
    {
        if (span.Length < Size) throw new ProtocolException($"Channel header of {span.Length} bytes (expected {Size}).");
        return new(BinaryPrimitives.ReadInt32LittleEndian(span), BinaryPrimitives.ReadInt32LittleEndian(span[4..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[8..]), BinaryPrimitives.ReadInt32LittleEndian(span[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[16..]), BinaryPrimitives.ReadInt32LittleEndian(span[20..]));
    }
}

/// <summary>
/// The record-batch network of one process (docs/architecture.md §7): a server that receives batches for the
/// local subtasks of running steps, and one outgoing connection per peer process that carries the
/// batches of every channel to it. Flow control is per channel: a sender spends a credit per batch
/// and the receiver returns it once the consumer has processed the batch, so a slow consumer holds
/// back only its own channels and the network reader never blocks. The same connections carry
/// blobs, whole byte arrays sent point to point (<see cref="SendBlobAsync"/>, <see cref="ReceiveBlobAsync"/>):
/// the iteration state that moves on a rescale.
/// </summary>
public sealed partial class DataPlane : IAsyncDisposable
{
    private const byte KindBatch = 0;
    private const byte KindEnd = 1;

    private readonly byte[] _secret;
    private readonly ILogger _logger;
    private readonly FrameServer _server;
    private readonly ConcurrentDictionary<(int Job, int Step), StepReceiver> _steps = new();
    private readonly ConcurrentDictionary<IPEndPoint, Lazy<Peer>> _peers = new();
    private readonly ConcurrentDictionary<ChannelKey, OutChannel> _out = new();
    private readonly object _parkLock = new();
    private readonly Dictionary<(int Job, int Step), List<(FrameConnection Connection, Dictionary<ChannelKey, CreditBack> Credits, byte[] Payload)>> _parked = new();
    private readonly Dictionary<int, int> _finished = new();

    /// <summary>Creates the data plane; call <see cref="Start"/>.</summary>
    /// <param name="bind">Address and port to listen on (port 0 for any free port).</param>
    /// <param name="secret">The cluster's shared secret.</param>
    /// <param name="logger">Where dropped connections are logged.</param>
    public DataPlane(IPEndPoint bind, byte[] secret, ILogger? logger = null)
    {
        _blobs = new BlobTransfer(this);
        _secret = secret;
        _logger = logger ?? NullLogger.Instance;
        _server = new FrameServer(bind, secret, ServeAsync, _logger);
        _flusher = new Timer(_ => FlushStale(), null, FlushInterval, FlushInterval);
    }

    private readonly Timer _flusher;

    private readonly BlobTransfer _blobs;

    /// <inheritdoc cref="BlobTransfer.BlobChunkBytes"/>
    public const int BlobChunkBytes = BlobTransfer.BlobChunkBytes;

    /// <inheritdoc cref="BlobTransfer.MaxHeldPerStream"/>
    public const int MaxHeldPerStream = BlobTransfer.MaxHeldPerStream;

    /// <inheritdoc cref="BlobTransfer.BlobsHeld"/>
    public int BlobsHeld => _blobs.BlobsHeld;

    /// <inheritdoc cref="BlobTransfer.BlobRoomPatience"/>
    public TimeSpan BlobRoomPatience
    {
        get => _blobs.BlobRoomPatience;
        set => _blobs.BlobRoomPatience = value;
    }

    /// <inheritdoc cref="BlobTransfer.SendBlobAsync"/>
    public Task SendBlobAsync(IPEndPoint peer, int job, long tag, int from, ReadOnlyMemory<byte> payload, CancellationToken ct) =>
        _blobs.SendBlobAsync(peer, job, tag, from, payload, ct);

    /// <inheritdoc cref="BlobTransfer.ReceiveBlobAsync"/>
    public Task<byte[]> ReceiveBlobAsync(int job, long tag, int from, CancellationToken ct) => _blobs.ReceiveBlobAsync(job, tag, from, ct);

    /// <inheritdoc cref="BlobTransfer.ReceiveRentedBlobAsync"/>
    public Task<ReceivedBlob> ReceiveRentedBlobAsync(int job, long tag, int from, CancellationToken ct) => _blobs.ReceiveRentedBlobAsync(job, tag, from, ct);

    /// <summary>The address peers send to.</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Batches received so far.</summary>
    public long BatchesIn => Interlocked.Read(ref _batchesIn);

    private long _batchesIn;

    /// <summary>Starts listening.</summary>
    public void Start() => _server.Start();

    /// <summary>
    /// Makes this process ready to receive the batches of step <paramref name="step"/> of job
    /// <paramref name="job"/>: into the local queues, decoded with each edge's codec.
    /// </summary>
    public void Register(int job, int step, IReadOnlyDictionary<JobVertex, InputQueue?[]> queues)
    {
        var receiver = new StepReceiver(queues);
        lock (_parkLock)
        {
            // Frames that came before this process was ready go first, in arrival order; only then
            // can the network readers deliver directly (so a channel's order is kept).
            if (_parked.Remove((job, step), out var parked))
            {
                foreach (var (connection, credits, payload) in parked) Deliver(receiver, connection, credits, payload);
            }
            if (!_steps.TryAdd((job, step), receiver)) throw new InvalidOperationException($"Step {step} of job {job} is already registered.");
        }
    }

    /// <summary>Stops receiving for a step; batches still arriving for it are dropped.</summary>
    public void Unregister(int job, int step)
    {
        lock (_parkLock)
        {
            _finished[job] = Math.Max(_finished.GetValueOrDefault(job), step);
            _parked.Remove((job, step));
        }
        _steps.TryRemove((job, step), out _);
        foreach (var key in _out.Keys)
        {
            if (key.Job == job && key.Step == step) _out.TryRemove(key, out _);
        }
    }

    /// <summary>After a recovery: frames of <paramref name="job"/>'s steps up to <paramref name="step"/> (before it) are dropped, also those that wait here.</summary>
    public void FinishStepsUpTo(int job, int step)
    {
        lock (_parkLock)
        {
            _finished[job] = Math.Max(_finished.GetValueOrDefault(job), step);
            foreach (var key in _parked.Keys.Where(k => k.Job == job && k.Step <= step).ToList()) _parked.Remove(key);
        }
    }

    /// <summary>
    /// Takes part in <paramref name="job"/> again after <see cref="UnregisterJob"/> (a worker released from a
    /// job and acquired by it again): its frames and blobs are accepted again.
    /// </summary>
    public void ReopenJob(int job)
    {
        _blobs.ReopenBlobs(job);
        lock (_parkLock) _finished.Remove(job);
    }

    /// <summary>Forgets every step of a job (after it ended or failed), drops its blobs and fails receives of them that wait.</summary>
    public void UnregisterJob(int job)
    {
        _blobs.DropBlobs(job);
        lock (_parkLock)
        {
            _finished[job] = int.MaxValue;
            foreach (var key in _parked.Keys.Where(k => k.Job == job).ToList()) _parked.Remove(key);
        }
        foreach (var key in _steps.Keys)
        {
            if (key.Job == job) _steps.TryRemove(key, out _);
        }
        foreach (var key in _out.Keys)
        {
            if (key.Job == job) _out.TryRemove(key, out _);
        }
    }

    /// <summary>Opens the channel <paramref name="key"/> to the process at <paramref name="peer"/>.</summary>
    /// <param name="key">The channel.</param>
    /// <param name="peer">The data plane of the consumer's process.</param>
    /// <param name="codec">The edge's codec.</param>
    /// <param name="abort">The local job's abort signal (wakes a sender waiting for credit).</param>
    /// <param name="credits">Batches the sender may have in flight.</param>
    /// <param name="metrics">The producer's metrics (bytes sent), or null.</param>
    public BatchTarget Connect(ChannelKey key, IPEndPoint peer, BatchCodec codec, JobAbort abort, int credits, Dataflow.Runtime.Statistics.SubtaskMetrics? metrics = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(credits, CreditBatch);
        var channel = new OutChannel(key, GetPeer(peer), codec, abort, credits, metrics);
        _out[key] = channel;
        abort.Register(channel);
        return channel;
    }

    private int _disposed;

    internal bool IsConnected(IPEndPoint endPoint) =>
        _peers.TryGetValue(endPoint, out var lazy) && lazy.IsValueCreated && !lazy.Value.Broken;

    internal Peer GetPeer(IPEndPoint endPoint)
    {
        var lazy = _peers.GetOrAdd(endPoint, ep => new Lazy<Peer>(() => Peer.Open(this, ep), LazyThreadSafetyMode.ExecutionAndPublication));
        Peer peer;
        try
        {
            peer = lazy.Value;
        }
        catch
        {
            // A failed connect must not stay cached for the address: the next step tries again.
            _peers.TryRemove(new KeyValuePair<IPEndPoint, Lazy<Peer>>(endPoint, lazy));
            throw;
        }
        if (!peer.Broken) return peer;
        if (_peers.TryRemove(new KeyValuePair<IPEndPoint, Lazy<Peer>>(endPoint, lazy))) _ = peer.DisposeAsync().AsTask();
        return GetPeer(endPoint);
    }

    /// <summary>Raised when an incoming data connection ends while it carried channels of a job (job id, reason): its steps cannot finish.</summary>
    public event Action<int, string>? Broken;

    private async Task ServeAsync(FrameConnection connection, CancellationToken token)
    {
        // A dedicated thread per incoming connection reads synchronously: no thread-pool hop per frame.
        var credits = new Dictionary<ChannelKey, CreditBack>();
        using var stop = token.Register(() => _ = connection.DisposeAsync().AsTask());
        string ended = "the connection closed";
        try
        {
            await Task.Factory.StartNew(() => connection.ReceiveLoop((type, payload) => Receive(connection, credits, type, payload)),
                token, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        }
        catch (ObjectDisposedException) when (token.IsCancellationRequested)
        {
            // The data plane is shutting down.
            ended = "the data plane is shutting down";
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            ended = e.Message;
            // Channels of running steps came over this connection: their consumers would wait forever.
            int[] jobs;
            lock (credits) jobs = credits.Keys.Select(k => k.Job).Distinct().ToArray();
            foreach (int job in jobs) Broken?.Invoke(job, $"a data connection broke: {e.Message}");
            throw;
        }
        finally
        {
            // Even a clean close between two chunks leaves a blob unfinished: its receive must not wait forever.
            _blobs.FailBlobsOf(connection, ended);
        }
    }

    private void Receive(FrameConnection connection, Dictionary<ChannelKey, CreditBack> credits, FrameType type, ReadOnlyMemory<byte> payload)
    {
        if (type != FrameType.Data) throw new ProtocolException($"Unexpected {type} frame on a data connection.");
        if (BlobTransfer.IsBlobChunk(payload.Span))
        {
            _blobs.ReceiveBlobChunk(connection, payload.Span);
            return;
        }
        var key = ChannelKey.Read(payload.Span);
        if (!_steps.TryGetValue((key.Job, key.Step), out var step))
        {
            lock (_parkLock)
            {
                if (!_steps.TryGetValue((key.Job, key.Step), out step))
                {
                    if (key.Step <= _finished.GetValueOrDefault(key.Job)) return; // a step that already ended (aborted): drop
                    // A faster peer started the step before this process registered it: keep the frame (bounded by the sender's credits).
                    if (!_parked.TryGetValue((key.Job, key.Step), out var list)) _parked[(key.Job, key.Step)] = list = new();
                    list.Add((connection, credits, payload.ToArray()));
                    return;
                }
            }
        }
        Deliver(step, connection, credits, payload);
    }

    private void Deliver(StepReceiver step, FrameConnection connection, Dictionary<ChannelKey, CreditBack> credits, ReadOnlyMemory<byte> payload)
    {
        var key = ChannelKey.Read(payload.Span);
        CreditBack? back;
        lock (credits)
        {
            if (!credits.TryGetValue(key, out back))
            {
                back = new CreditBack(connection, key, credits);
                credits[key] = back;
            }
        }
        // A frame holds one or more blocks of the channel: [kind][batch] ... or [end].
        var reader = new ByteReader(payload[ChannelKey.Size..]);
        if (reader.Remaining == 0) throw new ProtocolException("Data frame without blocks.");
        while (reader.Remaining > 0)
        {
            byte kind = reader.Read<byte>();
            step.Deliver(key, kind, reader, back);
            Interlocked.Increment(ref _batchesIn);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return; // a second dispose does nothing
        await _flusher.DisposeAsync().ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _blobs.DisposeBlobs();
        foreach (var lazy in _peers.Values)
        {
            if (lazy.IsValueCreated) await lazy.Value.DisposeAsync().ConfigureAwait(false);
        }
        _peers.Clear();
    }

    private void OnCredit(ChannelKey key, int credits)
    {
        if (_out.TryGetValue(key, out var channel)) channel.Grant(credits);
    }

    /// <summary>Credits a receiver returns at once (the sender's window must be at least this).</summary>
    public const int CreditBatch = 4;


    /// <summary>Frames are sent once this many bytes of batches are pending (or sooner: see <see cref="FlushInterval"/>).</summary>
    public const int FrameBytes = 64 << 10;

    /// <summary>Pending batches are sent at the latest after this long, so a channel never holds data back indefinitely.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(2);

    private void FlushStale()
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var channel in _out.Values) channel.FlushIfOlder(now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data connection to a peer ended: {Reason}")]
    private static partial void LogPeerLost(ILogger logger, string reason);
}
