using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Aggregation;

/// <summary>Passes on the first record of every key and drops later ones (<c>Distinct</c>); serves as combiner and final stage.</summary>
/// <remarks>
/// The final stage streams records through a table while it is small enough to stay in cache. Past
/// <see cref="PartitionAt"/> keys, when at least half the records so far carried a new key, it stops streaming: records are appended to <see cref="Partitions"/> partitions by their
/// key's hash (sequential writes), and at the end each partition is deduplicated with a table that again fits in cache.
/// A table holding every key of a large input (16 M edges per subtask in connected components) misses the cache on
/// every record and copies itself at every growth; this is the radix-partitioned form of the same work.
/// </remarks>
public sealed class DistinctOperator<T, TKey> : Collector<T>
{
    /// <summary>Keys the final stage streams through its table before it partitions.</summary>
    public const int PartitionAt = 1 << 16;

    /// <summary>Partitions of the final stage past <see cref="PartitionAt"/> keys.</summary>
    public const int Partitions = 256;

    private readonly Func<T, TKey> _key;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly OpenHashMap<TKey, byte> _seen = new(1024);
    private readonly T[] _buffer;
    private readonly int _forgetAt;
    private Partitioned? _partitions;
    private long _records;
    private bool _streamOnly;

    /// <summary>Creates the operator.</summary>
    /// <param name="key">The key records are distinct by.</param>
    /// <param name="downstream">Where the first record of each key goes.</param>
    /// <param name="info">Operator name and subtask.</param>
    /// <param name="forgetAt">
    /// A combiner's bound: forget the keys seen when this many are held (a key seen again later passes once more, and the
    /// final stage drops it). Bounded, the combiner's table stays in cache and small; unbounded, it held every record of its
    /// subtask a second time beside the final stage's table. <see cref="int.MaxValue"/> for the final stage.
    /// </param>
    public DistinctOperator(Func<T, TKey> key, Collector<T> downstream, OperatorInfo info, int forgetAt = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(forgetAt, 1);
        _key = key;
        _downstream = downstream;
        _info = info;
        _buffer = new T[info.BatchSize];
        _forgetAt = forgetAt;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        if (_partitions is { } partitions)
        {
            try
            {
                foreach (ref readonly var r in batch) partitions.Add(r, _key(r));
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
            }
            return;
        }
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, _buffer.Length);
            _records += n;
            int kept = 0;
            try
            {
                for (int i = 0; i < n; i++)
                {
                    _seen.GetValueRefOrAddDefault(_key(batch[i]), out bool exists);
                    if (!exists) _buffer[kept++] = batch[i];
                }
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
            }
            if (kept > 0) _downstream.Push(new ReadOnlySpan<T>(_buffer, 0, kept));
            batch = batch[n..];
            if (_seen.Count >= _forgetAt)
            {
                _seen.Clear();
            }
            else if (_forgetAt == int.MaxValue && !_streamOnly && _seen.Count >= PartitionAt)
            {
                // Partitioning buffers every record until the end: worth it only while most records carry a new key. With
                // many duplicates the table of keys stays smaller than the records would be: stream on.
                if (_seen.Count < _records / 2)
                {
                    _streamOnly = true;
                    continue;
                }
                // From here on the keys already passed on go to the partitions as seen; the rest of the input as records.
                _partitions = new Partitioned();
                foreach (var k in _seen.Keys) _partitions.AddSeen(k);
                _seen.Clear();
                Push(batch);
                return;
            }
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        if (_partitions is { } partitions)
        {
            _partitions = null;
            try
            {
                partitions.Drain(_seen, _key, _buffer, _downstream);
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
            }
        }
        _seen.Clear();
        _downstream.Close();
    }

    /// <summary>Records (and keys already passed on) by partition of their key's hash.</summary>
    private sealed class Partitioned
    {
        private readonly Chunks<T>[] _records = new Chunks<T>[Partitions];
        private readonly Chunks<TKey>[] _seen = new Chunks<TKey>[Partitions];

        // Bits 20..27 of the mixed hash: the key groups of the exchange come from its low bits, and a partition's table
        // places keys by the high bits of the hash times the golden ratio, which these do not fix.
        private static int PartitionOf(TKey key) => (int)((KeyGroups.Mix((uint)StableHash.Of(key)) >> 20) & (Partitions - 1));

        public void Add(in T record, TKey key) => _records[PartitionOf(key)].Add(record);

        public void AddSeen(TKey key) => _seen[PartitionOf(key)].Add(key);

        /// <summary>Passes on the first record of every key not seen before, partition by partition, freeing each as it goes.</summary>
        public void Drain(OpenHashMap<TKey, byte> table, Func<T, TKey> key, T[] buffer, Collector<T> downstream)
        {
            for (int p = 0; p < Partitions; p++)
            {
                table.Clear();
                foreach (var chunk in _seen[p].Parts())
                {
                    foreach (var k in chunk.Span) table.GetValueRefOrAddDefault(k, out _);
                }
                _seen[p] = default;
                int kept = 0;
                foreach (var chunk in _records[p].Parts())
                {
                    foreach (ref readonly var r in chunk.Span)
                    {
                        table.GetValueRefOrAddDefault(key(r), out bool exists);
                        if (exists) continue;
                        buffer[kept++] = r;
                        if (kept == buffer.Length)
                        {
                            downstream.Push(buffer);
                            kept = 0;
                        }
                    }
                }
                _records[p] = default;
                if (kept > 0) downstream.Push(new ReadOnlySpan<T>(buffer, 0, kept));
            }
        }
    }

    /// <summary>An append-only list in chunks that double up to 16 K items: no copying as it grows.</summary>
    private struct Chunks<TItem>
    {
        private List<TItem[]>? _full;
        private TItem[]? _last;
        private int _count;

        public void Add(in TItem item)
        {
            if (_last is null || _count == _last.Length) Grow();
            _last![_count++] = item;
        }

        private void Grow()
        {
            if (_last is not null) (_full ??= new()).Add(_last);
            _last = new TItem[_last is null ? 64 : Math.Min(_last.Length * 2, 1 << 14)];
            _count = 0;
        }

        public readonly IEnumerable<ReadOnlyMemory<TItem>> Parts()
        {
            if (_full is not null)
            {
                foreach (var c in _full) yield return c;
            }
            if (_last is not null) yield return new ReadOnlyMemory<TItem>(_last, 0, _count);
        }
    }
}
