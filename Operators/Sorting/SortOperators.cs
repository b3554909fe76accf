using Dataflow.Operators.Core;
using Dataflow.Operators.Join;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Sorting;

/// <summary>Sorts a buffer with a user comparer, reporting a throwing key selector or comparer as user code.</summary>
internal static class Sorting
{
    public static void Sort<T>(List<T> items, IComparer<T> comparer, OperatorInfo info)
    {
        try
        {
            items.Sort(comparer);
        }
        catch (InvalidOperationException e) when (e.InnerException is { } inner && OperatorInfo.IsUserFault(inner))
        {
            // Array.Sort wraps what the comparer threw; report the user's exception, not the wrapper.
            info.Throw(inner);
        }
        catch (Exception e) when (e is not InvalidOperationException && OperatorInfo.IsUserFault(e))
        {
            info.Throw(e);
        }
    }

    public static void Emit<T>(List<T> items, Collector<T> downstream, int batchSize)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(items);
        for (int i = 0; i < span.Length; i += batchSize) downstream.Push(span.Slice(i, Math.Min(batchSize, span.Length - i)));
    }
}

/// <summary>
/// Sorts everything one subtask receives (<c>SortPartition</c>): buffers the records and emits them
/// in comparer order when the input ends. Equal records keep no particular order.
/// </summary>
public sealed class SortPartitionOperator<T> : Collector<T>
{
    private readonly IComparer<T> _comparer;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly List<T> _items = new();

    /// <summary>Creates the operator.</summary>
    public SortPartitionOperator(IComparer<T> comparer, Collector<T> downstream, OperatorInfo info)
    {
        _comparer = comparer;
        _downstream = downstream;
        _info = info;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch) => _items.AddRange(batch);

    /// <inheritdoc />
    public override void Close()
    {
        Sorting.Sort(_items, _comparer, _info);
        Sorting.Emit(_items, _downstream, _info.BatchSize);
        _items.Clear();
        _downstream.Close();
    }
}

/// <summary>
/// The last step of a global sort: receives the records of its ranges (tagged with the range index)
/// and emits them sorted. Because ranges are assigned to subtasks in order, subtask 0's output,
/// then subtask 1's, and so on, is the globally sorted data set.
/// </summary>
public sealed class RangeSortOperator<T> : Collector<(int Range, T Item)>
{
    private readonly IComparer<T> _comparer;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly List<T> _items = new();

    /// <summary>Creates the operator.</summary>
    public RangeSortOperator(IComparer<T> comparer, Collector<T> downstream, OperatorInfo info)
    {
        _comparer = comparer;
        _downstream = downstream;
        _info = info;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<(int Range, T Item)> batch)
    {
        foreach (ref readonly var x in batch) _items.Add(x.Item);
    }

    /// <inheritdoc />
    public override void Close()
    {
        Sorting.Sort(_items, _comparer, _info);
        Sorting.Emit(_items, _downstream, _info.BatchSize);
        _items.Clear();
        _downstream.Close();
    }
}

/// <summary>
/// Keeps a sample of up to <c>size</c> records of one subtask's input (reservoir sampling with a
/// seed fixed by the subtask index), from which a global sort chooses its range boundaries.
/// </summary>
/// <remarks>
/// The sample only decides how evenly records spread over the ranges, never the order of the
/// result: every consumer computes the boundaries from the same broadcast sample set.
/// </remarks>
public sealed class SampleOperator<T> : Collector<T>
{
    private readonly Collector<T> _downstream;
    private readonly T[] _sample;
    private readonly Random _random;
    private long _seen;

    /// <summary>Creates the operator keeping up to <paramref name="size"/> records.</summary>
    public SampleOperator(int size, Collector<T> downstream, OperatorInfo info)
    {
        _downstream = downstream;
        _sample = new T[size];
        _random = new Random(unchecked(info.Subtask * 7919 + 17));
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        foreach (ref readonly var x in batch)
        {
            long n = _seen++;
            if (n < _sample.Length)
            {
                _sample[n] = x;
            }
            else
            {
                long j = _random.NextInt64(n + 1);
                if (j < _sample.Length) _sample[j] = x;
            }
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        int n = (int)Math.Min(_seen, _sample.Length);
        if (n > 0) _downstream.Push(new ReadOnlySpan<T>(_sample, 0, n));
        _downstream.Close();
    }
}

/// <summary>
/// Assigns every record a range of a global sort. The broadcast side is the sample of every
/// subtask; once it is complete, the sample is sorted and <c>ranges - 1</c> evenly spaced records
/// of it become the boundaries. A record goes to the first range whose upper boundary is greater
/// than it, so equal records always share a range.
/// </summary>
public sealed class RangePartitionOperator<T> : BuildProbeOperator<T, T, (int Range, T Item)>
{
    private readonly IComparer<T> _comparer;
    private readonly int _ranges;
    private readonly List<T> _sample = new();
    private T[] _bounds = [];
    private BatchBuffer<(int, T)> _buffer;

    /// <summary>Creates the operator for <paramref name="ranges"/> ranges.</summary>
    public RangePartitionOperator(IComparer<T> comparer, int ranges, Collector<(int Range, T Item)> downstream, OperatorInfo info)
        : base(downstream, info)
    {
        _comparer = comparer;
        _ranges = ranges;
        _buffer = new BatchBuffer<(int, T)>(info.BatchSize);
    }

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<T> batch) => _sample.AddRange(batch);

    /// <inheritdoc />
    protected override void OnBuildEnd()
    {
        // Every subtask sees the same sample multiset; sorted, equal positions hold equal keys, so
        // all subtasks choose equal boundaries whatever order the sample arrived in.
        Sorting.Sort(_sample, _comparer, Info);
        int n = _sample.Count;
        if (n == 0 || _ranges <= 1) return;
        var bounds = new T[_ranges - 1];
        for (int i = 1; i < _ranges; i++) bounds[i - 1] = _sample[(int)((long)i * n / _ranges)];
        _bounds = bounds;
        _sample.Clear();
    }

    /// <inheritdoc />
    protected override void OnProbe(ReadOnlySpan<T> batch)
    {
        var bounds = _bounds;
        var comparer = _comparer;
        try
        {
            foreach (ref readonly var x in batch)
            {
                // Upper bound: the number of boundaries <= x.
                int lo = 0, hi = bounds.Length;
                while (lo < hi)
                {
                    int mid = (lo + hi) >>> 1;
                    if (comparer.Compare(bounds[mid], x) <= 0) lo = mid + 1;
                    else hi = mid;
                }
                _buffer.Add((lo, x), Downstream);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    protected override void OnEnd()
    {
        _buffer.Flush(Downstream);
        Downstream.Close();
    }
}

/// <summary>
/// The first <c>n</c> records of one subtask's input, tagged with the subtask index so that a single
/// merging subtask (<see cref="TakeMergeOperator{T}"/>) can put partitions back in order.
/// </summary>
public sealed class TakeOperator<T> : Collector<T>
{
    private readonly long _n;
    private readonly int _subtask;
    private readonly Collector<(int Partition, T Item)> _downstream;
    private BatchBuffer<(int, T)> _buffer;
    private long _taken;

    /// <summary>Creates the operator.</summary>
    public TakeOperator(long n, Collector<(int Partition, T Item)> downstream, OperatorInfo info)
    {
        _n = n;
        _subtask = info.Subtask;
        _downstream = downstream;
        _buffer = new BatchBuffer<(int, T)>(info.BatchSize);
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        // Records past n are dropped; the upstream still runs to its end.
        foreach (ref readonly var x in batch)
        {
            if (_taken >= _n) return;
            _taken++;
            _buffer.Add((_subtask, x), _downstream);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        _buffer.Flush(_downstream);
        _downstream.Close();
    }
}

/// <summary>
/// Runs in one subtask: concatenates what <see cref="TakeOperator{T}"/> kept per partition, in
/// partition order (each partition's records arrive in their order over one channel), and emits
/// the first <c>n</c>.
/// </summary>
public sealed class TakeMergeOperator<T> : Collector<(int Partition, T Item)>
{
    private readonly long _n;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly SortedDictionary<int, List<T>> _parts = new();

    /// <summary>Creates the operator.</summary>
    public TakeMergeOperator(long n, Collector<T> downstream, OperatorInfo info)
    {
        _n = n;
        _downstream = downstream;
        _info = info;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<(int Partition, T Item)> batch)
    {
        foreach (ref readonly var x in batch)
        {
            if (!_parts.TryGetValue(x.Partition, out var list)) _parts[x.Partition] = list = new List<T>();
            list.Add(x.Item);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        var all = new List<T>();
        foreach (var part in _parts.Values)
        {
            int k = (int)Math.Min(part.Count, _n - all.Count);
            if (k <= 0) break;
            all.AddRange(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(part)[..k]);
        }
        Sorting.Emit(all, _downstream, _info.BatchSize);
        _parts.Clear();
        _downstream.Close();
    }
}

/// <summary>
/// Keeps the <c>n</c> records with the greatest keys of its input in a bounded min-heap (a combiner
/// before the single merging subtask, and that merge itself). With <c>emitSorted</c> it emits them
/// greatest first; otherwise in heap order, for the merge to read.
/// </summary>
public sealed class TopOperator<T, TKey> : Collector<T>
{
    private readonly int _n;
    private readonly Func<T, TKey> _key;
    private readonly IComparer<TKey> _comparer;
    private readonly bool _emitSorted;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly PriorityQueue<T, TKey> _heap;

    /// <summary>Creates the operator.</summary>
    public TopOperator(int n, Func<T, TKey> key, IComparer<TKey> comparer, bool emitSorted, Collector<T> downstream, OperatorInfo info)
    {
        _n = n;
        _key = key;
        _comparer = comparer;
        _emitSorted = emitSorted;
        _downstream = downstream;
        _info = info;
        _heap = new PriorityQueue<T, TKey>(Math.Min(n, 1 << 16), comparer);
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        if (_n == 0) return;
        try
        {
            foreach (ref readonly var x in batch)
            {
                var k = _key(x);
                if (_heap.Count < _n) _heap.Enqueue(x, k);
                // Only a strictly greater key displaces the smallest kept one.
                else if (_heap.TryPeek(out _, out var min) && _comparer.Compare(k, min) > 0) _heap.DequeueEnqueue(x, k);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        var items = new List<T>(_heap.Count);
        while (_heap.TryDequeue(out var x, out _)) items.Add(x);
        if (_emitSorted) items.Reverse(); // dequeued smallest first
        Sorting.Emit(items, _downstream, _info.BatchSize);
        _downstream.Close();
    }
}
