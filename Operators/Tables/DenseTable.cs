using System.Buffers;
using System.Runtime.CompilerServices;

namespace Dataflow.Operators.Tables;

/// <summary>
/// Values indexed directly by a small non-negative integer key (below <see cref="MaxKeys"/>): one
/// array access per record instead of a hash probe. Aggregations over integer ids (vertex ids,
/// cluster ids) use it until a key falls outside the range. The arrays come from the shared pool and
/// go back clean, so a superstep does not allocate them anew.
/// </summary>
public sealed class DenseTable<TValue>
{
    /// <summary>Keys must be in [0, MaxKeys).</summary>
    public const int MaxKeys = 1 << 22;

    private TValue[] _values;
    private bool[] _present;
    private int _count;
    private int _limit;

    /// <summary>Creates an empty table.</summary>
    public DenseTable()
    {
        _values = ArrayPool<TValue>.Shared.Rent(1 << 12);
        _present = ArrayPool<bool>.Shared.Rent(1 << 12);
        Array.Clear(_present);
    }

    /// <summary>Number of keys present.</summary>
    public int Count => _count;

    /// <summary>True when <paramref name="key"/> can be stored.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool InRange(long key) => (ulong)key < MaxKeys;

    /// <summary>A reference to the value of <paramref name="key"/> (which must be <see cref="InRange"/>), added as default when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TValue GetValueRefOrAddDefault(long key, out bool exists)
    {
        if (key >= _present.Length) Grow(key);
        int k = (int)key;
        exists = _present[k];
        if (!exists)
        {
            _present[k] = true;
            _count++;
            if (k >= _limit) _limit = k + 1;
        }
        return ref _values[k];
    }

    /// <summary>The values by key, for a loop that folds many records (with <see cref="Present"/> and <see cref="Added"/>); replaced when the table grows.</summary>
    internal TValue[] Values => _values;

    /// <summary>Which keys are present (same length as <see cref="Values"/>).</summary>
    internal bool[] Present => _present;

    /// <summary>Such a loop set <paramref name="added"/> keys present, the largest <paramref name="maxKey"/> (-1 when none).</summary>
    internal void Added(int added, long maxKey)
    {
        _count += added;
        if (maxKey >= _limit) _limit = (int)maxKey + 1;
    }

    /// <summary>The value of <paramref name="key"/> when present (any key: out of range is absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(long key, out TValue value)
    {
        if ((ulong)key < (ulong)_present.Length && _present[key])
        {
            value = _values[key];
            return true;
        }
        value = default!;
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(long key)
    {
        int size = (int)Math.Min(MaxKeys, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)key + 1));
        var values = ArrayPool<TValue>.Shared.Rent(size);
        var present = ArrayPool<bool>.Shared.Rent(size);
        Array.Copy(_values, values, _limit);
        Array.Clear(present);
        Array.Copy(_present, present, _limit);
        Release();
        _values = values;
        _present = present;
    }

    /// <summary>Calls <paramref name="visit"/> for every key in ascending order and empties the table.</summary>
    public void Drain<TState>(ref TState state, DrainAction<TState> visit)
    {
        for (int k = 0; k < _limit; k++)
        {
            if (!_present[k]) continue;
            _present[k] = false;
            visit(ref state, k, _values[k]);
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TValue>()) _values[k] = default!;
        }
        _count = 0;
        _limit = 0;
    }

    /// <summary>Visits one entry of <see cref="Drain"/>.</summary>
    public delegate void DrainAction<TState>(ref TState state, int key, TValue value);

    /// <summary>Returns the arrays to the pool (the table must be empty: see <see cref="Drain"/>).</summary>
    public void Release()
    {
        ArrayPool<TValue>.Shared.Return(_values, RuntimeHelpers.IsReferenceOrContainsReferences<TValue>());
        ArrayPool<bool>.Shared.Return(_present);
        _values = [];
        _present = [];
    }
}
