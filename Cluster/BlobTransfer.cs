using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

// Blobs: whole byte arrays sent point to point between processes over the data connections, for
// iteration state that moves on a rescale (StateExchange) instead of through the coordinator.
//
// A blob travels as data frames of at most BlobChunkBytes payload bytes, all on the sender's one
// connection to the receiver, so its chunks arrive in order. A chunk's header takes the place of a
// batch frame's channel key and carries BlobMarker where a batch frame has its step (steps count from
// 1), so the receive path tells them apart with one comparison: job (int32), marker (int32), tag
// (int64), sender (int32), total length (int32), offset of the chunk (int32; -1: the sender gave the
// blob up). The first chunk sizes the receiver's buffer, so a blob is assembled in place, never regrown.
// Blobs that arrive before anyone asks for them are kept until received or until their job is unregistered.
/// <summary>The blob half of a <see cref="DataPlane"/>: whole byte arrays point to point, on the same connections as the record batches.</summary>
internal sealed class BlobTransfer(DataPlane plane)
{
    private readonly DataPlane _plane = plane;

    /// <summary>
    /// Payload bytes of one blob frame, far below the transport's 16 MiB frame limit: a chunk stays in cache
    /// between the sender's copy and the socket write, and the receiver's frame scratch stays small
    /// (measurements: docs/elasticity.md).
    /// </summary>
    public const int BlobChunkBytes = 256 << 10;

    private const int BlobMarker = -1;
    private const int BlobHeaderBytes = 28;
    private const int BlobAbandoned = -1;

    private readonly object _blobLock = new();
    private readonly Dictionary<BlobKey, IncomingBlob> _blobs = new();
    private readonly HashSet<int> _blobJobsEnded = new();
    private bool _blobsDisposed;

    /// <summary>Blobs received in whole or in part that no <see cref="DataPlane.ReceiveBlobAsync"/> has taken yet.</summary>
    public int BlobsHeld
    {
        get
        {
            lock (_blobLock) return _blobs.Values.Count(b => b.Buffer is not null);
        }
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to the data plane at <paramref name="peer"/>, where
    /// <see cref="DataPlane.ReceiveBlobAsync"/> with the same job, tag and sender returns it.
    /// </summary>
    /// <param name="peer">The receiving process's data plane.</param>
    /// <param name="job">The cluster job.</param>
    /// <param name="tag">Tells the blobs of one job and sender apart (e.g. the exchange's epoch); one blob per tag.</param>
    /// <param name="from">The sender's index, as the receiver knows it.</param>
    /// <param name="payload">The bytes (any length, empty included); not copied whole, so it must stay unchanged until the task completes.</param>
    /// <param name="ct">Observed between chunks: a blob cancelled part-way is reported to the receiver as abandoned.</param>
    /// <returns>Completes once the last chunk has been written to the connection.</returns>
    /// <exception cref="IOException">The connection to the peer could not be opened or failed.</exception>
    /// <remarks>
    /// Socket writes block, so the chunks are written from a dedicated thread: sends to several peers
    /// run in parallel and a slow receiver holds no thread-pool thread. A blob of one frame to a peer
    /// already connected is written by the caller, which may then wait while the connection is full (a receiver that holds as
    /// many blobs of a stream as it may stops reading it, <see cref="MaxHeldPerStream"/>): callers that must not wait send from a
    /// thread of their own. A chunk being written when
    /// <paramref name="ct"/> fires finishes first (a torn frame would break the connection's other channels).
    /// </remarks>
    public Task SendBlobAsync(IPEndPoint peer, int job, long tag, int from, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(peer);
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        if (payload.Length <= BlobChunkBytes && _plane.IsConnected(peer))
        {
            // One frame on an open connection: written here, which costs less than starting a thread (on a slow worker, much less).
            try
            {
                SendBlob(peer, job, tag, from, payload, ct);
                return Task.CompletedTask;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Task.FromCanceled(ct);
            }
#pragma warning disable CA1031 // The failure goes to the caller through the task, as from the thread below.
            catch (Exception e)
            {
                return Task.FromException(e);
            }
#pragma warning restore CA1031
        }
        return Task.Factory.StartNew(() => SendBlob(peer, job, tag, from, payload, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void SendBlob(IPEndPoint endPoint, int job, long tag, int from, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        DataPlane.Peer peer;
        try
        {
            peer = _plane.GetPeer(endPoint);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ProtocolException)
        {
            throw new IOException($"Could not open a data connection to {endPoint}: {e.Message}", e);
        }
        const int prefix = FrameConnection.HeaderBytes + BlobHeaderBytes;
        var frame = ArrayPool<byte>.Shared.Rent(prefix + Math.Min(BlobChunkBytes, payload.Length));
        try
        {
            int offset = 0;
            do
            {
                if (ct.IsCancellationRequested)
                {
                    Abandon(peer, frame, job, tag, from, payload.Length);
                    ct.ThrowIfCancellationRequested();
                }
                int n = Math.Min(BlobChunkBytes, payload.Length - offset);
                WriteBlobHeader(frame.AsSpan(FrameConnection.HeaderBytes), job, tag, from, payload.Length, offset);
                payload.Span.Slice(offset, n).CopyTo(frame.AsSpan(prefix));
                peer.Send(frame.AsSpan(0, prefix + n));
                offset += n;
            }
            while (offset < payload.Length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Tells the receiver that the rest of a started blob will not come (the chunks so far arrived).</summary>
    private static void Abandon(DataPlane.Peer peer, byte[] frame, int job, long tag, int from, int total)
    {
        WriteBlobHeader(frame.AsSpan(FrameConnection.HeaderBytes), job, tag, from, total, BlobAbandoned);
        try
        {
            peer.Send(frame.AsSpan(0, FrameConnection.HeaderBytes + BlobHeaderBytes));
        }
        catch (IOException)
        {
            // The connection is gone: the receiver fails the blob for that reason instead.
        }
    }

    private static void WriteBlobHeader(Span<byte> span, int job, long tag, int from, int total, int offset)
    {
        BinaryPrimitives.WriteInt32LittleEndian(span, job);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], BlobMarker);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], tag);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], from);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], total);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], offset);
    }

    /// <summary>True for a data frame that carries a blob chunk rather than record batches.</summary>
    public static bool IsBlobChunk(ReadOnlySpan<byte> payload) =>
        payload.Length >= 8 && BinaryPrimitives.ReadInt32LittleEndian(payload[4..]) == BlobMarker;

    /// <summary>
    /// Returns the blob that sender <paramref name="from"/> sends (or sent) to this process for
    /// <paramref name="job"/> under <paramref name="tag"/>, whole.
    /// </summary>
    /// <param name="job">The cluster job.</param>
    /// <param name="tag">The tag the sender used.</param>
    /// <param name="from">The sender's index.</param>
    /// <param name="ct">Ends the wait; a blob still arriving stays for a later call.</param>
    /// <returns>The payload, in an array that the caller owns (a copy of the <see cref="ReceiveRentedBlobAsync"/> buffer).</returns>
    /// <exception cref="IOException">The connection carrying the blob ended before its last chunk, or the sender abandoned it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired, or the job was unregistered (<see cref="DataPlane.UnregisterJob"/>).</exception>
    /// <exception cref="ObjectDisposedException">The data plane was disposed.</exception>
    /// <remarks>One receive per job, tag and sender may be waiting at a time. A sender that never starts
    /// its blob is not detected here: the job's failure (a lost worker) unregisters the job, which ends the wait.</remarks>
    public async Task<byte[]> ReceiveBlobAsync(int job, long tag, int from, CancellationToken ct)
    {
        using var blob = await ReceiveRentedBlobAsync(job, tag, from, ct).ConfigureAwait(false);
        return blob.Memory.ToArray();
    }

    /// <summary>
    /// Returns the blob that sender <paramref name="from"/> sends (or sent) to this process for
    /// <paramref name="job"/> under <paramref name="tag"/>, whole, in a buffer rented from
    /// <see cref="ArrayPool{T}.Shared"/> that disposing the result returns (pieces of a few MiB arrive
    /// at every move: renting keeps them off the large object heap, whose growth starts full collections).
    /// </summary>
    /// <param name="job">The cluster job.</param>
    /// <param name="tag">The tag the sender used.</param>
    /// <param name="from">The sender's index.</param>
    /// <param name="ct">Ends the wait; a blob still arriving stays for a later call.</param>
    /// <returns>The payload; dispose it once read (nothing may keep a reference to its memory).</returns>
    /// <exception cref="IOException">The connection carrying the blob ended before its last chunk, or the sender abandoned it.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired, or the job was unregistered (<see cref="DataPlane.UnregisterJob"/>).</exception>
    /// <exception cref="ObjectDisposedException">The data plane was disposed.</exception>
    public async Task<ReceivedBlob> ReceiveRentedBlobAsync(int job, long tag, int from, CancellationToken ct)
    {
        var key = new BlobKey(job, tag, from);
        IncomingBlob? blob;
        TaskCompletionSource<ReceivedBlob> waiter;
        lock (_blobLock)
        {
            ObjectDisposedException.ThrowIf(_blobsDisposed, this);
            if (_blobJobsEnded.Contains(job)) throw JobEnded(key);
            if (_blobs.TryGetValue(key, out blob))
            {
                if (blob.Failure is { } failure)
                {
                    _blobs.Remove(key);
                    throw failure;
                }
                if (blob.Complete)
                {
                    _blobs.Remove(key);
                    Monitor.PulseAll(_blobLock); // room for the next blob of its stream (WaitForRoom)
                    return new ReceivedBlob(blob.Buffer!, blob.Length);
                }
                if (blob.Waiter is not null) throw new InvalidOperationException($"Blob {key} is already being received.");
            }
            else
            {
                _blobs[key] = blob = new IncomingBlob();
            }
            blob.Waiter = waiter = new TaskCompletionSource<ReceivedBlob>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        try
        {
            return await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Only a chunk thread holding the lock completes the waiter, and only while it is the blob's waiter:
            // after this the waiter is either complete or never will be.
            lock (_blobLock)
            {
                if (blob.Waiter == waiter) blob.Waiter = null;
            }
            if (waiter.Task.IsCompleted) return await waiter.Task.ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Takes one blob chunk off a receiving connection's thread.</summary>
    public void ReceiveBlobChunk(FrameConnection connection, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < BlobHeaderBytes) throw new ProtocolException($"Blob frame of {payload.Length} bytes (header is {BlobHeaderBytes}).");
        var key = new BlobKey(BinaryPrimitives.ReadInt32LittleEndian(payload), BinaryPrimitives.ReadInt64LittleEndian(payload[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(payload[16..]));
        int total = BinaryPrimitives.ReadInt32LittleEndian(payload[20..]);
        int offset = BinaryPrimitives.ReadInt32LittleEndian(payload[24..]);
        var data = payload[BlobHeaderBytes..];
        IncomingBlob? blob;
        lock (_blobLock)
        {
            if (_blobsDisposed || _blobJobsEnded.Contains(key.Job)) return; // nobody will ask for it
            _blobs.TryGetValue(key, out blob);
            if (offset == BlobAbandoned)
            {
                if (blob is not null && blob.Connection == connection) Fail(key, blob, new IOException($"The sender abandoned blob {key} part-way."));
                return;
            }
            if (offset == 0)
            {
                WaitForRoom(connection, key);
                if (_blobsDisposed || _blobJobsEnded.Contains(key.Job)) return;
                _blobs.TryGetValue(key, out blob);
                if (blob?.Buffer is not null) throw new ProtocolException($"Blob {key} was sent twice.");
                if (total < 0) throw new ProtocolException($"Blob {key} of negative length {total}.");
                if (blob is null) _blobs[key] = blob = new IncomingBlob();
                blob.Buffer = total == 0 ? [] : ArrayPool<byte>.Shared.Rent(total);
                blob.Length = total;
                blob.Connection = connection;
                blob.Source = connection;
            }
            else if (blob is null || blob.Connection != connection)
            {
                // Chunks after a failure on this connection or a drop by the receiver never get here (the
                // connection is gone, or the job ended): this is a sender out of step.
                throw new ProtocolException($"Chunk at {offset} of blob {key} without its start.");
            }
        }
        // Only this connection's thread writes the blob's buffer and its received count: the copy runs outside the lock.
        var buffer = blob.Buffer!;
        if (offset != blob.Received || total != blob.Length || data.Length > total - offset || (data.Length == 0 && total > 0))
        {
            throw new ProtocolException($"Chunk of {data.Length} bytes at {offset} of blob {key} does not follow {blob.Received} of {blob.Length} bytes.");
        }
        data.CopyTo(buffer.AsSpan(offset));
        lock (_blobLock)
        {
            blob.Received = offset + data.Length;
            if (blob.Received < blob.Length || blob.Failure is not null || !_blobs.TryGetValue(key, out var current) || current != blob) return;
            blob.Connection = null;
            if (blob.Waiter is { } waiter)
            {
                _blobs.Remove(key);
                waiter.TrySetResult(new ReceivedBlob(buffer, blob.Length));
            }
            else
            {
                blob.Complete = true;
            }
        }
    }

    /// <summary>
    /// Blobs of one stream (same job, sender and the tag's high 32 bits, e.g. the pieces of one move) that a
    /// connection may hold complete and unclaimed: beyond that its thread waits for a receive to take one
    /// before it reads the next blob (the sender waits in turn), so a slow reader holds a few pieces in warm
    /// buffers instead of taking all of a large move into fresh memory (on a slow worker, page faults cost
    /// more than the copies).
    /// </summary>
    public const int MaxHeldPerStream = 3;

    /// <summary>
    /// The longest a connection waits for room (<see cref="MaxHeldPerStream"/>), 2 s unless set: a stream whose
    /// reader stopped (a failed move) holds the connection up once for this long, and not again.
    /// </summary>
    public TimeSpan BlobRoomPatience { get; set; } = TimeSpan.FromSeconds(2);

    private readonly HashSet<(int Job, int From, int Stream)> _unthrottled = new();

    /// <summary>Waits (releasing <see cref="_blobLock"/>, which the caller holds) while the connection holds as many blobs of <paramref name="key"/>'s stream as it may.</summary>
    private void WaitForRoom(FrameConnection connection, BlobKey key)
    {
        var stream = (key.Job, key.From, (int)(key.Tag >> 32));
        if (_unthrottled.Contains(stream)) return;
        long deadline = Environment.TickCount64 + (long)BlobRoomPatience.TotalMilliseconds;
        while (!_blobsDisposed && !_blobJobsEnded.Contains(key.Job))
        {
            int held = 0;
            foreach (var (k, b) in _blobs)
            {
                if (b.Complete && b.Source == connection && k.Job == key.Job && k.From == key.From && k.Tag >> 32 == key.Tag >> 32) held++;
            }
            if (held < MaxHeldPerStream) return;
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                _unthrottled.Add(stream);
                return;
            }
            Monitor.Wait(_blobLock, (int)Math.Min(left, int.MaxValue));
        }
    }

    /// <summary>Fails a blob: its waiter now, or the next receive (caller holds <see cref="_blobLock"/>).</summary>
    private void Fail(BlobKey key, IncomingBlob blob, Exception failure)
    {
        blob.Connection = null;
        if (blob.Waiter is { } waiter)
        {
            _blobs.Remove(key);
            waiter.TrySetException(failure);
        }
        else
        {
            blob.Failure = failure;
        }
    }

    /// <summary>An incoming connection ended: the blobs it was still carrying will not complete.</summary>
    public void FailBlobsOf(FrameConnection connection, string reason)
    {
        lock (_blobLock)
        {
            foreach (var (key, blob) in _blobs.Where(b => b.Value.Connection == connection).ToList())
            {
                Fail(key, blob, new IOException($"The data connection carrying blob {key} ended after {blob.Received} of {blob.Length} bytes: {reason}"));
            }
        }
    }

    /// <summary>Accepts blobs of a job again (after <see cref="DropBlobs"/>).</summary>
    public void ReopenBlobs(int job)
    {
        lock (_blobLock) _blobJobsEnded.Remove(job);
    }

    /// <summary>Drops the blobs of a job and fails its waiting receives; later chunks of the job are ignored.</summary>
    public void DropBlobs(int job)
    {
        lock (_blobLock)
        {
            _blobJobsEnded.Add(job);
            _unthrottled.RemoveWhere(x => x.Job == job);
            foreach (var (key, blob) in _blobs.Where(b => b.Key.Job == job).ToList())
            {
                _blobs.Remove(key);
                blob.Waiter?.TrySetException(JobEnded(key));
            }
            Monitor.PulseAll(_blobLock);
        }
    }

    /// <summary>The data plane is going away: every waiting receive fails.</summary>
    public void DisposeBlobs()
    {
        lock (_blobLock)
        {
            _blobsDisposed = true;
            foreach (var (key, blob) in _blobs)
            {
                blob.Waiter?.TrySetException(new ObjectDisposedException(nameof(DataPlane), $"The data plane closed while receiving blob {key}."));
            }
            _blobs.Clear();
            Monitor.PulseAll(_blobLock);
        }
    }

    private static OperationCanceledException JobEnded(BlobKey key) => new($"Job {key.Job} was unregistered before blob {key} arrived.");

    /// <summary>Names one blob: its job, tag and sender.</summary>
    private readonly record struct BlobKey(int Job, long Tag, int From)
    {
        public override string ToString() => $"(job {Job}, tag {Tag}, from {From})";
    }

    /// <summary>A blob being received or waited for; guarded by <see cref="_blobLock"/> except where noted.</summary>
    private sealed class IncomingBlob
    {
        /// <summary>The whole blob, rented for the size its first chunk gives; null until then.</summary>
        public byte[]? Buffer;

        /// <summary>The blob's length (the rented buffer may be longer).</summary>
        public int Length;

        /// <summary>Bytes copied in so far (written only by the connection's thread).</summary>
        public int Received;

        /// <summary>The connection its chunks arrive on, until the last one.</summary>
        public FrameConnection? Connection;

        /// <summary>The connection it arrived on (kept after the last chunk).</summary>
        public FrameConnection? Source;

        /// <summary>All bytes arrived and nobody was waiting: the next receive takes it.</summary>
        public bool Complete;

        /// <summary>Why the blob cannot complete, for the next receive.</summary>
        public Exception? Failure;

        /// <summary>The receive waiting for it, if any.</summary>
        public TaskCompletionSource<ReceivedBlob>? Waiter;
    }
}
