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
public sealed class HashOutput<T, TKey> : PartitioningOutput<T>
{
    private readonly Func<T, TKey> _key;
    private readonly int[] _subtaskOfGroup;
    private readonly string _consumer;

    /// <summary>Creates the output for key selector <paramref name="key"/> of operator <paramref name="consumer"/>.</summary>
    public HashOutput(ExchangeTargets targets, Func<T, TKey> key, string consumer) : base(targets)
    {
        _key = key;
        _consumer = consumer;
        int p = targets.Queues.Length;
        _subtaskOfGroup = new int[targets.MaxParallelism];
        for (int g = 0; g < _subtaskOfGroup.Length; g++)
        {
            _subtaskOfGroup[g] = KeyGroups.SubtaskOf(g, p, targets.MaxParallelism);
        }
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        int maxP = _targets.MaxParallelism;
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
            Append(_subtaskOfGroup[group], item);
        }
    }
}
