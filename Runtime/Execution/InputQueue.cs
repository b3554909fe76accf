using System.Diagnostics;

namespace Dataflow.Runtime.Execution;

/// <summary>
/// The bounded, blocking, many-producer single-consumer queue in front of every subtask. Producers
/// block when it is full (back-pressure); all of a subtask's inputs share it, so a consumer always
/// drains and a DAG cannot deadlock on it.
/// </summary>
/// <remarks>
/// A plain monitor beats <c>System.Threading.Channels</c> here: subtasks run on dedicated threads and
/// block anyway, and the hand-off is one batch (thousands of records), so lock cost is negligible.
/// Waiting time is measured only when a call actually blocks.
/// </remarks>
public sealed class InputQueue : BatchTarget, IWakeable
{
    private Envelope[] _ring;
    private readonly JobAbort _abort;
    private readonly object _lock = new();
    private int _head;
    private int _count;
    private int _waitingProducers;
    private bool _consumerWaiting;

    /// <summary>Creates a queue holding at most <paramref name="capacity"/> envelopes.</summary>
    public InputQueue(int capacity, JobAbort abort)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new Envelope[capacity];
        _abort = abort;
        abort.Register(this);
    }

    /// <summary>Adds an envelope, blocking while the queue is full; returns the ticks spent blocked.</summary>
    /// <exception cref="OperationCanceledException">The job was aborted.</exception>
    public override long Put(in Envelope envelope)
    {
        long waited = 0;
        lock (_lock)
        {
            if (_count == _ring.Length)
            {
                long start = Stopwatch.GetTimestamp();
                _waitingProducers++;
                try
                {
                    while (_count == _ring.Length)
                    {
                        _abort.ThrowIfAborted();
                        Monitor.Wait(_lock);
                    }
                }
                finally
                {
                    _waitingProducers--;
                }
                waited = Stopwatch.GetTimestamp() - start;
            }
            _abort.ThrowIfAborted();
            _ring[(_head + _count) % _ring.Length] = envelope;
            _count++;
            if (_consumerWaiting)
            {
                Monitor.PulseAll(_lock);
            }
        }
        return waited;
    }

    /// <summary>
    /// Adds an envelope that arrived over the network without blocking: the network reader must never
    /// stall (it serves many channels); the sender's credits bound what it can add, so the ring grows
    /// at most by the credits of the remote channels.
    /// </summary>
    public void PutRemote(in Envelope envelope)
    {
        lock (_lock)
        {
            _abort.ThrowIfAborted();
            if (_count == _ring.Length)
            {
                var grown = new Envelope[_ring.Length * 2];
                for (int i = 0; i < _count; i++) grown[i] = _ring[(_head + i) % _ring.Length];
                _ring = grown;
                _head = 0;
            }
            _ring[(_head + _count) % _ring.Length] = envelope;
            _count++;
            if (_consumerWaiting) Monitor.PulseAll(_lock);
        }
    }

    /// <summary>Takes the next envelope, blocking while the queue is empty; adds blocked ticks to <paramref name="waitedTicks"/>.</summary>
    /// <exception cref="OperationCanceledException">The job was aborted.</exception>
    public Envelope Take(ref long waitedTicks)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                long start = Stopwatch.GetTimestamp();
                _consumerWaiting = true;
                try
                {
                    while (_count == 0)
                    {
                        _abort.ThrowIfAborted();
                        Monitor.Wait(_lock);
                    }
                }
                finally
                {
                    _consumerWaiting = false;
                }
                waitedTicks += Stopwatch.GetTimestamp() - start;
            }
            _abort.ThrowIfAborted();
            var e = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            if (_waitingProducers > 0)
            {
                Monitor.PulseAll(_lock);
            }
            return e;
        }
    }

    /// <summary>Removes and returns whatever is still queued (used to return pooled batches after an abort).</summary>
    public List<Envelope> Drain()
    {
        lock (_lock)
        {
            var rest = new List<Envelope>(_count);
            while (_count > 0)
            {
                rest.Add(_ring[_head]);
                _ring[_head] = default;
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
            return rest;
        }
    }

    void IWakeable.Wake() => Wake();

    internal void Wake()
    {
        lock (_lock)
        {
            Monitor.PulseAll(_lock);
        }
    }
}
