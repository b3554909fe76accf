namespace Dataflow.Operators.Tables;

/// <summary>
/// Where the values of each key are in a set of frozen multimaps, indexed by the key itself: for integer keys in a
/// range not much larger than their number (vertex ids), a probe reads three arrays instead of hashing. Built once from
/// a loop-invariant index and used for every probe of every later superstep.
/// </summary>
internal sealed class DirectIndex<TValue>
{
    /// <summary>The key range may be at most this many times the number of keys (plus a constant), so the index stays small.</summary>
    private const int MaxSparsity = 8;

    private readonly TValue[][] _arrays;
    private readonly ushort[] _array;
    private readonly int[] _start;
    private readonly int[] _count;

    private DirectIndex(TValue[][] arrays, ushort[] array, int[] start, int[] count)
    {
        _arrays = arrays;
        _array = array;
        _start = start;
        _count = count;
    }

    /// <summary>The index of <paramref name="maps"/> (each: keys by ordinal, value starts, values), or null when a key is negative or the range too sparse.</summary>
    public static DirectIndex<TValue>? TryBuild<TKey>(List<(TKey[] Keys, int[] Starts, TValue[] Values)> maps, Func<TKey, long> toLong)
    {
        if (maps.Count > ushort.MaxValue) return null;
        long keys = 0, max = -1;
        foreach (var (ks, _, _) in maps)
        {
            keys += ks.Length;
            foreach (var k in ks)
            {
                long v = toLong(k);
                if (v < 0) return null;
                if (v > max) max = v;
            }
        }
        long range = max + 1;
        if (range > keys * MaxSparsity + 65_536 || range > Array.MaxLength) return null;
        var array = new ushort[range];
        var start = new int[range];
        var count = new int[range];
        var arrays = new TValue[maps.Count][];
        for (int m = 0; m < maps.Count; m++)
        {
            var (ks, starts, values) = maps[m];
            arrays[m] = values;
            for (int o = 0; o < ks.Length; o++)
            {
                long v = toLong(ks[o]);
                array[v] = (ushort)m;
                start[v] = starts[o];
                count[v] = starts[o + 1] - starts[o];
            }
        }
        return new DirectIndex<TValue>(arrays, array, start, count);
    }

    /// <summary>One more than the largest key.</summary>
    public long Range => _count.Length;

    /// <summary>The values of <paramref name="key"/> (empty when it has none).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TValue> ValuesOf(long key)
    {
        var count = _count;
        if ((ulong)key >= (ulong)count.Length) return default;
        int c = count[key];
        return c == 0 ? default : new ReadOnlySpan<TValue>(_arrays[_array[key]], _start[key], c);
    }
}
