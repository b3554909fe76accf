using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Serialization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

// The connection-level parts of the data plane: a peer connection with its writer, the sending end of a
// channel with its credits, and the receiving side of a step's channels.
public sealed partial class DataPlane
{
    /// <summary>The local receiving end of one step.</summary>
    private sealed class StepReceiver
    {
        private readonly Dictionary<int, (InputQueue?[] Queues, JobVertex Vertex)> _byVertex = new();

        public StepReceiver(IReadOnlyDictionary<JobVertex, InputQueue?[]> queues)
        {
            foreach (var (v, qs) in queues) _byVertex[v.Id] = (qs, v);
        }

        public void Deliver(ChannelKey key, byte kind, ByteReader body, CreditBack credit)
        {
            if (!_byVertex.TryGetValue(key.Vertex, out var target) || (uint)key.Consumer >= (uint)target.Queues.Length
                || target.Queues[key.Consumer] is not { } queue || (uint)key.Input >= (uint)target.Vertex.Inputs.Count)
            {
                throw new ProtocolException($"Data for unknown channel {key}.");
            }
            if (kind == KindEnd)
            {
                Put(queue, Envelope.End(key.Input), null);
                credit.Forget();
                return;
            }
            if (kind != KindBatch) throw new ProtocolException($"Unknown data kind {kind}.");
            var codec = target.Vertex.Inputs[key.Input].Codec ?? throw new ProtocolException($"Edge {key.Vertex}/{key.Input} has no codec.");
            int before = body.Remaining;
            int n = codec.Read(body, out var items);
            Put(queue, new Envelope(key.Input, items, n, credit, before - body.Remaining), codec);
        }

        private static void Put(InputQueue queue, in Envelope envelope, BatchCodec? codec)
        {
            try
            {
                queue.PutRemote(envelope);
            }
            catch (OperationCanceledException)
            {
                // The local job is being torn down: what still arrives is dropped.
                if (codec is not null) codec.Return(envelope.Items!, envelope.Count);
            }
        }
    }

    /// <summary>Returns credits to a channel's sender over the connection its batches came on, <see cref="CreditBatch"/> at a time.</summary>
    private sealed class CreditBack(FrameConnection connection, ChannelKey key, Dictionary<ChannelKey, CreditBack> owner) : ICreditReturn
    {
        private int _pending;

        /// <summary>The channel ended: its entry leaves the connection's table (credits still owed go nowhere useful).</summary>
        public void Forget()
        {
            lock (owner) owner.Remove(key);
        }

        public void Return()
        {
            // Only the consumer subtask's thread returns credits of its channel: no lock needed.
            if (++_pending < CreditBatch) return;
            _pending = 0;
            Span<byte> payload = stackalloc byte[ChannelKey.Size + 4];
            key.Write(payload);
            BinaryPrimitives.WriteInt32LittleEndian(payload[ChannelKey.Size..], CreditBatch);
            try
            {
                connection.Send(FrameType.Credit, payload);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // The sender is gone; its job fails through the coordinator.
            }
        }
    }

    /// <summary>The outgoing connection to one peer process; reads the credits it returns.</summary>
    internal sealed class Peer : IAsyncDisposable
    {
        private readonly FrameConnection _connection;
        private readonly Task _reader;
        private volatile bool _broken;

        private Peer(DataPlane plane, FrameConnection connection)
        {
            _connection = connection;
            _reader = Task.Run(() => ReadCreditsAsync(plane));
        }

        public bool Broken => _broken;

        public static Peer Open(DataPlane plane, IPEndPoint endPoint)
        {
            var connection = FrameServer.ConnectAsync(endPoint, plane._secret).GetAwaiter().GetResult();
            return new Peer(plane, connection);
        }

        public void Send(Span<byte> frame)
        {
            try
            {
                _connection.SendPrepared(FrameType.Data, frame);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                _broken = true;
                throw new IOException($"Lost the data connection to a peer: {e.Message}", e);
            }
        }

        private async Task ReadCreditsAsync(DataPlane plane)
        {
            try
            {
                while (await _connection.ReceiveAsync((type, payload) =>
                {
                    if (type != FrameType.Credit) throw new ProtocolException($"Unexpected {type} frame from a data receiver.");
                    var span = payload.Span;
                    var key = ChannelKey.Read(span);
                    if (span.Length < ChannelKey.Size + 4) throw new ProtocolException("Credit frame too short.");
                    plane.OnCredit(key, BinaryPrimitives.ReadInt32LittleEndian(span[ChannelKey.Size..]));
                }).ConfigureAwait(false))
                {
                }
            }
            catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                LogPeerLost(plane._logger, e.Message);
            }
            _broken = true;
        }

        public async ValueTask DisposeAsync()
        {
            _broken = true;
            await _connection.DisposeAsync().ConfigureAwait(false);
            try
            {
                await _reader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Already logged.
            }
        }
    }

    /// <summary>
    /// The sending end of one channel. Batches are serialized into one frame until it holds
    /// <see cref="FrameBytes"/>; the frame goes out then, before the sender would wait for credit,
    /// at the end of the stream, or when it is older than <see cref="FlushInterval"/> (a timer), so
    /// small batches share a system call and a wake-up of the receiver.
    /// </summary>
    private sealed class OutChannel : BatchTarget, IWakeable
    {
        private static readonly long s_flushTicks = (long)(FlushInterval.TotalSeconds * Stopwatch.Frequency);

        private readonly ChannelKey _key;
        private readonly Peer _peer;
        private readonly BatchCodec _codec;
        private readonly JobAbort _abort;
        private readonly object _lock = new();
        private ByteWriter? _buffer; // made at the first batch: many channels of a step never send one
        private ByteWriter Frame => _buffer ??= new ByteWriter(FrameBytes + (16 << 10));
        private int _credits;
        private long _pendingSince;

        private readonly Dataflow.Runtime.Statistics.SubtaskMetrics? _metrics;

        public OutChannel(ChannelKey key, Peer peer, BatchCodec codec, JobAbort abort, int credits, Dataflow.Runtime.Statistics.SubtaskMetrics? metrics)
        {
            _metrics = metrics;
            _key = key;
            _peer = peer;
            _codec = codec;
            _abort = abort;
            _credits = credits;
        }

        public void Grant(int credits)
        {
            lock (_lock)
            {
                _credits += credits;
                Monitor.PulseAll(_lock);
            }
        }

        public void Wake()
        {
            // Never block the abort behind a sender stuck in a socket write; a sender waiting for credit re-checks the abort every second anyway.
            if (!Monitor.TryEnter(_lock)) return;
            try
            {
                Monitor.PulseAll(_lock);
            }
            finally
            {
                Monitor.Exit(_lock);
            }
        }

        public override long Put(in Envelope envelope)
        {
            lock (_lock)
            {
                if (envelope.IsEnd)
                {
                    Begin();
                    Frame.Write(KindEnd);
                    Flush();
                    _buffer = null; // the channel is done
                    return 0;
                }
                long waited = TakeCredit();
                try
                {
                    Begin();
                    Frame.Write(KindBatch);
                    int before = Frame.Length;
                    _codec.Write(Frame, envelope.Items!, envelope.Count);
                    if (_metrics is not null) _metrics.BytesOut += Frame.Length - before;
                }
                finally
                {
                    _codec.Return(envelope.Items!, envelope.Count);
                }
                if (Frame.Length >= FrameBytes) Flush();
                return waited;
            }
        }

        /// <summary>Starts a frame if none is pending: room for the frame header, then the channel key.</summary>
        private void Begin()
        {
            if (Frame.Length > 0) return;
            Frame.Advance(Transport.FrameConnection.HeaderBytes);
            _key.Write(Frame.GetSpan(ChannelKey.Size));
            Frame.Advance(ChannelKey.Size);
            _pendingSince = Stopwatch.GetTimestamp();
        }

        private void Flush()
        {
            if (_buffer is null || _buffer.Length == 0) return;
            try
            {
                _peer.Send(Frame.WrittenSpanMutable);
            }
            finally
            {
                Frame.Clear();
            }
        }

        public void FlushIfOlder(long now)
        {
            if (!Monitor.TryEnter(_lock)) return; // the sender is at it; it flushes itself
            try
            {
                if (_buffer is { Length: > 0 } && now - _pendingSince >= s_flushTicks) Flush();
            }
            catch (IOException)
            {
                // The sender sees the broken connection on its next send.
            }
            finally
            {
                Monitor.Exit(_lock);
            }
        }

        private long TakeCredit()
        {
            if (_credits > 0)
            {
                _credits--;
                return 0;
            }
            Flush(); // what is pending must reach the receiver for credit to come back
            long start = Stopwatch.GetTimestamp();
            while (_credits == 0)
            {
                _abort.ThrowIfAborted();
                if (_peer.Broken) throw new IOException("Lost the data connection to a peer.");
                Monitor.Wait(_lock, 1000);
            }
            _credits--;
            return Stopwatch.GetTimestamp() - start;
        }
    }
}
