using System.Runtime.CompilerServices;

namespace Dataflow.Operators.Tables;

/// <summary>
/// Records gathered with small non-negative integer keys and handed back in ascending key order by a counting sort over
/// the key range: a superstep's probes of a loop-invariant index laid out in key order then read it front to back, as a
/// hand-written loop over a CSR graph does, instead of jumping to a random place of a large index per record.
/// </summary>
/// <remarks>Kept across supersteps in an operator's scratch slot: once grown, gathering and sorting allocate nothing.</remarks>
internal sealed class KeyOrderedBuffer<T>
{
    /// <summary>Sorting pays when there is at least one record per this many keys of the range; sparser sets stay in arrival order.</summary>
    private const int SortDensity = 16;

    private T[] _records = new T[1024];
    private int[] _keys = new int[1024];
    private T[] _sorted = [];
    private int[] _starts = [];
    private int _count;
    private int _last = -1;
    private bool _ascending = true;

    /// <summary>Number of records gathered.</summary>
    public int Count => _count;

    /// <summary>Adds a record with its key (0 ≤ key &lt; the range given to <see cref="InKeyOrder"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(in T record, int key)
    {
        if (_count == _records.Length) Grow();
        _records[_count] = record;
        _keys[_count++] = key;
        if (key < _last) _ascending = false;
        _last = key;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow()
    {
        Array.Resize(ref _records, _count * 2);
        Array.Resize(ref _keys, _count * 2);
    }

    /// <summary>
    /// The records in ascending key order (records of one key in arrival order), or in arrival order when they already
    /// ascend or are too few for the range to be worth a pass over it.
    /// </summary>
    public ReadOnlySpan<T> InKeyOrder(int range)
    {
        int n = _count;
        if (_ascending || (long)n * SortDensity < range) return _records.AsSpan(0, n);
        if (_starts.Length < range + 1) _starts = new int[range + 1];
        var starts = _starts;
        Array.Clear(starts, 0, range + 1);
        var keys = _keys;
        for (int i = 0; i < n; i++) starts[keys[i] + 1]++;
        for (int k = 0; k < range; k++) starts[k + 1] += starts[k];
        if (_sorted.Length < n) _sorted = new T[_records.Length];
        var sorted = _sorted;
        var records = _records;
        for (int i = 0; i < n; i++) sorted[starts[keys[i]]++] = records[i];
        return sorted.AsSpan(0, n);
    }

    /// <summary>Forgets the records (the buffers stay for the next superstep).</summary>
    public void Clear()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            Array.Clear(_records, 0, _count);
            Array.Clear(_sorted);
        }
        _count = 0;
        _last = -1;
        _ascending = true;
    }
}
