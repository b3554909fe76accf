using System.Runtime.CompilerServices;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Runtime.Exchange;

/// <summary>
/// Partitions records by key group (docs/architecture.md §4) into one pooled batch per consumer subtask.
/// </summary>
/// <remarks>
/// The per-record work is the user's key selector, a stable hash (JIT-specialized per key type),
/// the murmur finalizer and one array store; no allocation.
/// </remarks>
public sealed class HashOutput<T, TKey> : ExchangeOutput<T>
{
    private readonly Func<T, TKey> _key;
    private readonly T[][] _buffers;
    private readonly int[] _counts;
    private readonly int[] _subtaskOfGroup;
    private readonly string _consumer;

    /// <summary>Creates the output for key selector <paramref name="key"/> of operator <paramref name="consumer"/>.</summary>
    public HashOutput(ExchangeTargets targets, Func<T, TKey> key, string consumer) : base(targets)
    {
        _key = key;
        _consumer = consumer;
        int p = targets.Queues.Length;
        _buffers = new T[p][];
        _counts = new int[p];
        for (int i = 0; i < p; i++) _buffers[i] = Rent();
        _subtaskOfGroup = new int[targets.MaxParallelism];
        for (int g = 0; g < _subtaskOfGroup.Length; g++)
        {
            _subtaskOfGroup[g] = KeyGroups.SubtaskOf(g, p, targets.MaxParallelism);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Push(ReadOnlySpan<T> batch)
    {
        int maxP = _targets.MaxParallelism;
        int size = _targets.BatchSize;
        foreach (ref readonly T item in batch)
        {
            TKey key;
            try
            {
                key = _key(item);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The key selector belongs to the consuming operator, even though it runs here.
                throw new Dataflow.UserCodeException(_consumer, _targets.ProducerSubtask, e);
            }
            int group = KeyGroups.KeyGroupOf(StableHash.Of(key), maxP);
            int t = _subtaskOfGroup[group];
            int c = _counts[t];
            _buffers[t][c] = item;
            if (++c == size)
            {
                Send(t, _buffers[t], c);
                _buffers[t] = Rent();
                c = 0;
            }
            _counts[t] = c;
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        for (int t = 0; t < _buffers.Length; t++)
        {
            if (_counts[t] > 0)
            {
                Send(t, _buffers[t], _counts[t]);
            }
            else
            {
                Return(_buffers[t], 0);
            }
            _counts[t] = 0;
        }
        SendEndToAll();
    }
}
