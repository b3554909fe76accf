using System.Runtime.CompilerServices;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;

namespace Dataflow.Runtime.Exchange;

/// <summary>
/// Base of the collectors that end a chain: they copy records into pooled batches and hand the
/// batches to consumer subtasks' queues. Ownership of a sent batch passes to the consumer, which
/// returns it to the pool.
/// </summary>
public abstract class ExchangeOutput<T> : Collector<T>
{
    private protected readonly ExchangeTargets _targets;

    private protected ExchangeOutput(ExchangeTargets targets) => _targets = targets;

    private protected T[] Rent() => BatchPool<T>.Rent(_targets.BatchSize);

    private protected void Send(int target, T[] items, int count)
    {
        _targets.Metrics.RecordsOut += count;
        long waited = _targets.Queues[target].Put(new Envelope(_targets.InputIndex, items, count));
        _targets.Metrics.OutputWaitTicks += waited;
    }

    private protected void SendEndToAll()
    {
        for (int i = 0; i < _targets.Queues.Length; i++)
        {
            _targets.Metrics.OutputWaitTicks += _targets.Queues[i].Put(Envelope.End(_targets.InputIndex));
        }
    }

    /// <summary>Returns a batch to the pool, clearing references so pooled arrays do not keep records alive.</summary>
    public static void Return(T[] items, int count)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Array.Clear(items, 0, count);
        }
        BatchPool<T>.Return(items);
    }
}

/// <summary>
/// Base of the outputs that choose a consumer per record (by key group, by sort range): one pooled
/// batch per consumer, sent when full; <see cref="Close"/> sends what is left.
/// </summary>
public abstract class PartitioningOutput<T> : ExchangeOutput<T>
{
    private readonly T[][] _buffers;
    private readonly int[] _counts;

    private protected PartitioningOutput(ExchangeTargets targets) : base(targets)
    {
        int p = targets.Queues.Length;
        _buffers = new T[p][];
        _counts = new int[p];
        for (int i = 0; i < p; i++) _buffers[i] = Rent();
    }

    /// <summary>The number of consumer subtasks.</summary>
    private protected int Consumers => _buffers.Length;

    /// <summary>Adds <paramref name="item"/> to consumer <paramref name="target"/>'s batch (inlined into the subclasses' per-record loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected void Append(int target, in T item)
    {
        int c = _counts[target];
        _buffers[target][c] = item;
        if (++c == _targets.BatchSize)
        {
            Send(target, _buffers[target], c);
            _buffers[target] = Rent();
            c = 0;
        }
        _counts[target] = c;
    }

    /// <inheritdoc />
    public override void Close()
    {
        for (int t = 0; t < _buffers.Length; t++)
        {
            if (_counts[t] > 0) Send(t, _buffers[t], _counts[t]);
            else Return(_buffers[t], 0);
            _counts[t] = 0;
        }
        SendEndToAll();
    }
}

/// <summary>
/// Sends full batches to one consumer at a time: forward edges keep the consumer with the producer's
/// own index (one-to-one); rebalance edges move round-robin to the next consumer after each batch.
/// </summary>
public sealed class BatchingOutput<T> : ExchangeOutput<T>
{
    private readonly bool _roundRobin;
    private T[] _buffer;
    private int _count;
    private int _target;

    /// <summary>Creates the output; producers start at different consumers so that small inputs spread too.</summary>
    public BatchingOutput(ExchangeTargets targets, bool roundRobin) : base(targets)
    {
        _roundRobin = roundRobin;
        _buffer = Rent();
        _target = targets.ProducerSubtask % targets.Queues.Length;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, _targets.BatchSize - _count);
            batch[..n].CopyTo(_buffer.AsSpan(_count));
            _count += n;
            batch = batch[n..];
            if (_count == _targets.BatchSize) Flush();
        }
    }

    private void Flush()
    {
        if (_count == 0) return;
        Send(_target, _buffer, _count);
        if (_roundRobin) _target = (_target + 1) % _targets.Queues.Length;
        _buffer = Rent();
        _count = 0;
    }

    /// <inheritdoc />
    public override void Close()
    {
        Flush();
        Return(_buffer, 0);
        SendEndToAll();
    }
}

/// <summary>Sends every record to every consumer subtask (broadcast sets, the small side of a cross).</summary>
public sealed class BroadcastOutput<T> : ExchangeOutput<T>
{
    private readonly T[] _buffer;
    private int _count;

    /// <summary>Creates the output.</summary>
    public BroadcastOutput(ExchangeTargets targets) : base(targets) => _buffer = new T[targets.BatchSize];

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, _targets.BatchSize - _count);
            batch[..n].CopyTo(_buffer.AsSpan(_count));
            _count += n;
            batch = batch[n..];
            if (_count == _targets.BatchSize) Flush();
        }
    }

    private void Flush()
    {
        if (_count == 0) return;
        for (int t = 0; t < _targets.Queues.Length; t++)
        {
            var copy = Rent();
            _buffer.AsSpan(0, _count).CopyTo(copy);
            Send(t, copy, _count);
        }
        _count = 0;
    }

    /// <inheritdoc />
    public override void Close()
    {
        Flush();
        SendEndToAll();
    }
}
