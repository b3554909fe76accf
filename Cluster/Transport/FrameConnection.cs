using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Length-prefixed frames over a byte stream (TCP or TLS) with System.IO.Pipelines: a 4-byte
/// little-endian length of the rest, a type byte, the payload. A frame longer than the limit or of
/// an unknown type is a <see cref="ProtocolException"/>: the caller drops the connection.
/// </summary>
public sealed class FrameConnection : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeReader _reader;
    private readonly PipeWriter _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly int _maxFrameBytes;

    /// <summary>Wraps <paramref name="stream"/>; frames above <paramref name="maxFrameBytes"/> are rejected.</summary>
    public FrameConnection(Stream stream, int maxFrameBytes = 16 << 20)
    {
        _stream = stream;
        _maxFrameBytes = maxFrameBytes;
        // Large buffers: a record batch frame is tens of KiB; 4 KiB segments would split it into many reads.
        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 20, minimumReadSize: 128 << 10, leaveOpen: true));
        _writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 << 10, leaveOpen: true));
    }

    /// <summary>Payload bytes received so far.</summary>
    public long BytesIn { get; private set; }

    /// <summary>Payload bytes sent so far.</summary>
    public long BytesOut { get; private set; }

    /// <summary>Sends one frame (thread-safe; frames are never interleaved).</summary>
    public async ValueTask SendAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length + 1 > _maxFrameBytes) throw new ArgumentException($"Frame of {payload.Length} bytes exceeds the {_maxFrameBytes}-byte limit.");
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var header = _writer.GetSpan(5);
            BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length + 1);
            header[4] = (byte)type;
            _writer.Advance(5);
            // Once the header is written the frame must go out whole: a cancelled write would tear the connection.
            await _writer.WriteAsync(payload, CancellationToken.None).ConfigureAwait(false);
            BytesOut += payload.Length;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Sends one frame from a thread that may block (a subtask thread): the payload is copied into the
    /// pipe and flushed before the call returns, so the caller may reuse its buffer.
    /// </summary>
    public void Send(FrameType type, ReadOnlySpan<byte> payload)
    {
        if (payload.Length + 1 > _maxFrameBytes) throw new ArgumentException($"Frame of {payload.Length} bytes exceeds the {_maxFrameBytes}-byte limit.");
        _writeLock.Wait();
        try
        {
            var span = _writer.GetSpan(5 + payload.Length);
            BinaryPrimitives.WriteInt32LittleEndian(span, payload.Length + 1);
            span[4] = (byte)type;
            payload.CopyTo(span[5..]);
            _writer.Advance(5 + payload.Length);
            var flush = _writer.FlushAsync();
            if (!flush.IsCompletedSuccessfully) flush.AsTask().GetAwaiter().GetResult();
            BytesOut += payload.Length;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Bytes a caller of <see cref="SendPrepared"/> leaves free at the start of its buffer for the frame header.</summary>
    public const int HeaderBytes = 5;

    /// <summary>
    /// Sends a frame whose payload the caller wrote after <see cref="HeaderBytes"/> free bytes: the
    /// header is filled in and the whole buffer goes to the socket in one write, without a copy.
    /// For high-volume senders on dedicated threads (record batches); ordered with every other send.
    /// </summary>
    public void SendPrepared(FrameType type, Span<byte> frame)
    {
        int payload = frame.Length - HeaderBytes;
        if (payload < 0) throw new ArgumentException("The frame has no room for its header.");
        if (payload + 1 > _maxFrameBytes) throw new ArgumentException($"Frame of {payload} bytes exceeds the {_maxFrameBytes}-byte limit.");
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload + 1);
        frame[4] = (byte)type;
        _writeLock.Wait();
        try
        {
            _stream.Write(frame);
            BytesOut += payload;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Receives the next frame and hands it to <paramref name="handler"/> without copying it when it
    /// lies in one buffer segment; the payload is valid only during the call. False at a clean end of stream.
    /// </summary>
    /// <exception cref="ProtocolException">A malformed, oversized or truncated frame.</exception>
    public async ValueTask<bool> ReceiveAsync(Action<FrameType, ReadOnlyMemory<byte>> handler, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryFrame(buffer, out var type, out var body))
            {
                try
                {
                    if (body.IsSingleSegment)
                    {
                        handler(type, body.First);
                    }
                    else
                    {
                        var scratch = ArrayPool<byte>.Shared.Rent((int)body.Length);
                        try
                        {
                            body.CopyTo(scratch);
                            handler(type, scratch.AsMemory(0, (int)body.Length));
                        }
                        finally
                        {
                            ArrayPool<byte>.Shared.Return(scratch);
                        }
                    }
                }
                finally
                {
                    BytesIn += body.Length;
                    _reader.AdvanceTo(body.End);
                }
                return true;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (buffer.Length == 0) return false;
                throw new ProtocolException($"Connection closed inside a frame ({buffer.Length} bytes pending).");
            }
        }
    }

    /// <summary>
    /// Receives frames on the calling (dedicated) thread until the peer closes the connection: the
    /// socket is read synchronously into a <see cref="Pipe"/> and frames are handed to
    /// <paramref name="handler"/> from there, so a high-volume receiver (record batches) costs no
    /// thread-pool hop per read. Bytes the pipe reader had already buffered come first.
    /// </summary>
    /// <exception cref="ProtocolException">A malformed, oversized or truncated frame.</exception>
    public void ReceiveLoop(Action<FrameType, ReadOnlyMemory<byte>> handler)
    {
        var pipe = new Pipe(new PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: 0, minimumSegmentSize: 256 << 10, useSynchronizationContext: false));
        var scratch = Array.Empty<byte>();
        long pending = 0; // bytes of an unfinished frame in the pipe
        if (_reader.TryRead(out var buffered))
        {
            bool any = !buffered.Buffer.IsEmpty;
            foreach (var segment in buffered.Buffer) pipe.Writer.Write(segment.Span);
            _reader.AdvanceTo(buffered.Buffer.End);
            if (any) pending = Drain();
        }
        while (true)
        {
            var memory = pipe.Writer.GetMemory(128 << 10);
            int n = _stream.Read(memory.Span);
            if (n == 0)
            {
                if (pending == 0) return; // closed between frames
                throw new ProtocolException($"Connection closed inside a frame ({pending} bytes pending).");
            }
            pipe.Writer.Advance(n);
            pending = Drain();
        }

        // Hands every whole frame in the pipe to the handler; returns the bytes left (an unfinished frame).
        long Drain()
        {
            var flushed = pipe.Writer.FlushAsync();
            if (!flushed.IsCompletedSuccessfully) flushed.AsTask().GetAwaiter().GetResult();
            if (!pipe.Reader.TryRead(out var result)) throw new InvalidOperationException("The receive pipe has no data after a flush.");
            var frames = result.Buffer;
            while (TryFrame(frames, out var type, out var body))
            {
                if (body.IsSingleSegment)
                {
                    handler(type, body.First);
                }
                else
                {
                    if (scratch.Length < body.Length) scratch = new byte[Math.Max((int)body.Length, 64 << 10)];
                    body.CopyTo(scratch);
                    handler(type, scratch.AsMemory(0, (int)body.Length));
                }
                BytesIn += body.Length;
                frames = frames.Slice(body.End);
            }
            pipe.Reader.AdvanceTo(frames.Start, frames.End);
            return frames.Length;
        }
    }

    private bool TryFrame(ReadOnlySequence<byte> buffer, out FrameType type, out ReadOnlySequence<byte> body)
    {
        type = default;
        body = default;
        if (buffer.Length < 4) return false;
        Span<byte> lengthBytes = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(lengthBytes);
        int length = BinaryPrimitives.ReadInt32LittleEndian(lengthBytes);
        if (length < 1 || length > _maxFrameBytes) throw new ProtocolException($"Invalid frame length {length} (limit {_maxFrameBytes}).");
        if (buffer.Length < 4 + length) return false;
        var all = buffer.Slice(4, length);
        type = (FrameType)all.FirstSpan[0];
        if (!Enum.IsDefined(type)) throw new ProtocolException($"Unknown frame type {(byte)type}.");
        body = all.Slice(1);
        return true;
    }

    /// <summary>Receives the next frame, or null at a clean end of stream.</summary>
    /// <exception cref="ProtocolException">A malformed, oversized or truncated frame.</exception>
    public async ValueTask<Frame?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryParse(ref buffer, out var frame))
            {
                _reader.AdvanceTo(buffer.Start);
                BytesIn += frame.Payload.Length;
                return frame;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                if (buffer.Length == 0) return null;
                throw new ProtocolException($"Connection closed inside a frame ({buffer.Length} bytes pending).");
            }
        }
    }

    private bool TryParse(ref ReadOnlySequence<byte> buffer, out Frame frame)
    {
        frame = default;
        if (!TryFrame(buffer, out var type, out var body)) return false;
        frame = new Frame(type, body.ToArray());
        buffer = buffer.Slice(body.End);
        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync().ConfigureAwait(false);
        try
        {
            // Completing the writer flushes what is buffered: to a peer that is gone, that fails, and closing must not.
            await _writer.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
        try
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
        }
        _writeLock.Dispose();
    }
}
