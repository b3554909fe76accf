using System.Runtime.CompilerServices;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Operators.Tables;

/// <summary>
/// An open-addressing hash map with linear probing and dense, insertion-ordered entry arrays.
/// Keys and values are stored unboxed; lookups return a <c>ref</c> to the value so aggregates
/// update in place.
/// </summary>
/// <remarks>
/// Slots hold <c>entryIndex + 1</c> (0 = empty) and the entry's hash is kept beside it, so a probe
/// compares ints before it compares keys and growth never re-hashes keys.
/// </remarks>
public sealed class OpenHashMap<TKey, TValue>
{
    private int[] _slots;
    private int[] _hashes;
    private TKey[] _keys;
    private TValue[] _values;
    private int _count;
    private int _mask;
    private int _shift;

    /// <summary>Creates a map sized for about <paramref name="capacity"/> entries.</summary>
    public OpenHashMap(int capacity = 16)
    {
        int slots = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, capacity) * 2));
        _slots = new int[slots];
        _mask = slots - 1;
        _shift = 32 - System.Numerics.BitOperations.Log2((uint)slots);
        int entries = Math.Max(8, capacity);
        _hashes = new int[entries];
        _keys = new TKey[entries];
        _values = new TValue[entries];
    }

    /// <summary>Number of entries.</summary>
    public int Count => _count;

    /// <summary>The keys in insertion order.</summary>
    public ReadOnlySpan<TKey> Keys => new(_keys, 0, _count);

    /// <summary>The values in insertion order (same positions as <see cref="Keys"/>).</summary>
    public Span<TValue> Values => new(_values, 0, _count);

    /// <summary>
    /// The home slot, from the hash's high bits (Fibonacci hashing): after a hash exchange all keys of
    /// a subtask share the low bits that chose their key group, and would cluster in a low-bit table.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(int hash) => (int)(((uint)hash * 0x9E3779B9u) >> _shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HashOf(TKey key) => (int)KeyGroups.Mix((uint)StableHash.Of(key));

    /// <summary>Returns a reference to the value of <paramref name="key"/>, adding a default value when absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TValue GetValueRefOrAddDefault(TKey key, out bool exists)
    {
        int hash = HashOf(key);
        int slot = SlotOf(hash);
        while (true)
        {
            int e = _slots[slot];
            if (e == 0) break;
            e--;
            if (_hashes[e] == hash && EqualityComparer<TKey>.Default.Equals(_keys[e], key))
            {
                exists = true;
                return ref _values[e];
            }
            slot = (slot + 1) & _mask;
        }
        exists = false;
        return ref Add(key, hash, slot);
    }

    /// <summary>Returns the index of <paramref name="key"/>'s entry, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(TKey key)
    {
        int hash = HashOf(key);
        int slot = SlotOf(hash);
        while (true)
        {
            int e = _slots[slot];
            if (e == 0) return -1;
            e--;
            if (_hashes[e] == hash && EqualityComparer<TKey>.Default.Equals(_keys[e], key)) return e;
            slot = (slot + 1) & _mask;
        }
    }

    /// <summary>The value at entry <paramref name="index"/>.</summary>
    public ref TValue ValueAt(int index) => ref _values[index];

    /// <summary>Removes every entry, keeping the allocated arrays.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TKey>()) Array.Clear(_keys, 0, _count);
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TValue>()) Array.Clear(_values, 0, _count);
        _count = 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref TValue Add(TKey key, int hash, int slot)
    {
        if (_count == _keys.Length)
        {
            int n = _keys.Length * 2;
            Array.Resize(ref _keys, n);
            Array.Resize(ref _values, n);
            Array.Resize(ref _hashes, n);
        }
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
            slot = SlotOf(hash);
            while (_slots[slot] != 0) slot = (slot + 1) & _mask;
        }
        int e = _count++;
        _keys[e] = key;
        _hashes[e] = hash;
        _values[e] = default!;
        _slots[slot] = e + 1;
        return ref _values[e];
    }

    private void Grow()
    {
        var slots = new int[_slots.Length * 2];
        int mask = slots.Length - 1;
        int shift = _shift - 1;
        for (int e = 0; e < _count; e++)
        {
            int s = (int)(((uint)_hashes[e] * 0x9E3779B9u) >> shift);
            while (slots[s] != 0) s = (s + 1) & mask;
            slots[s] = e + 1;
        }
        _slots = slots;
        _mask = mask;
        _shift = shift;
    }
}

/// <summary>
/// A hash multimap for the build side of a join. Building appends each value with the ordinal of
/// its key; <see cref="Freeze"/> then lays the values out as an adjacency index (CSR: each key's
/// values contiguous, in insertion order) with one counting sort, so a probe reads one contiguous
/// range.
/// </summary>
public sealed class HashMultiMap<TKey, TValue>
{
    private OpenHashMap<TKey, int> _ordinals;
    private TValue[] _values;
    private int[] _keyOrdinal;
    private int[]? _starts; // after Freeze: values of key ordinal k are [_starts[k], _starts[k + 1])
    private int _count;
    // Kept by Freeze for Clear, so a map refilled every superstep allocates nothing once it has grown: the build-order
    // values and key ordinals (reused by the next build), the frozen layout's spare buffer, and the counting sort's arrays.
    private TValue[]? _buildValues;
    private int[]? _ordinalBuffer;
    private TValue[]? _spare;
    private int[]? _startsBuffer;
    private int[]? _nextBuffer;

    /// <summary>Creates an empty multimap with room for <paramref name="capacity"/> values.</summary>
    public HashMultiMap(int capacity = 1024)
    {
        capacity = Math.Max(4, capacity);
        _ordinals = new OpenHashMap<TKey, int>(capacity);
        _values = new TValue[capacity];
        _keyOrdinal = new int[capacity];
    }

    /// <summary>A frozen multimap over a layout built elsewhere (see <see cref="ReadFrom"/>).</summary>
    private HashMultiMap(OpenHashMap<TKey, int> ordinals, TValue[] values, int[] starts)
    {
        _ordinals = ordinals;
        _values = values;
        _starts = starts;
        _keyOrdinal = [];
        _count = values.Length;
    }

    /// <summary>Number of values.</summary>
    public int Count => _count;

    /// <summary>
    /// True for a map that is cleared and refilled (a join's table of the changing side, every superstep): freezing
    /// then keeps the build buffers for the next fill. False (the default) lets them go, so a map frozen for good (a
    /// loop-invariant index) holds only its frozen layout.
    /// </summary>
    public bool KeepsBuffers { get; init; }

    /// <summary>
    /// True for a map whose frozen layout puts integer keys in ascending order (a loop-invariant index over vertex ids):
    /// probes made in key order then read the values front to back instead of jumping through the layout.
    /// </summary>
    public bool OrdersKeys { get; init; }

    /// <summary>Number of distinct keys.</summary>
    public int KeyCount => _ordinals.Count;

    /// <summary>True once the index is laid out; no more values may be added.</summary>
    public bool IsFrozen => _starts is not null;

    /// <summary>Adds a value under a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TKey key, TValue value)
    {
        if (_starts is not null) ThrowFrozen();
        if (_count == _values.Length) GrowValues();
        ref int ordinal = ref _ordinals.GetValueRefOrAddDefault(key, out bool exists);
        if (!exists) ordinal = _ordinals.Count - 1;
        _values[_count] = value;
        _keyOrdinal[_count++] = ordinal;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowValues()
    {
        Array.Resize(ref _values, _count * 2);
        Array.Resize(ref _keyOrdinal, _count * 2);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowFrozen() => throw new InvalidOperationException("The multimap is frozen.");

    /// <summary>Lays out each key's values contiguously (a counting sort by key ordinal).</summary>
    public void Freeze()
    {
        if (_starts is not null) return;
        int keys = _ordinals.Count;
        if (OrdersKeys && keys > 1) OrderKeys(keys);
        var starts = _startsBuffer is { } sb && sb.Length >= keys + 1 ? sb : new int[keys + 1];
        Array.Clear(starts, 0, keys + 1);
        for (int i = 0; i < _count; i++) starts[_keyOrdinal[i] + 1]++;
        for (int k = 0; k < keys; k++) starts[k + 1] += starts[k];
        var next = _nextBuffer is { } nb && nb.Length >= keys ? nb : new int[keys];
        Array.Copy(starts, next, keys);
        var values = _spare is { } spare && spare.Length >= Math.Max(1, _count) ? spare : new TValue[Math.Max(1, _count)];
        for (int i = 0; i < _count; i++) values[next[_keyOrdinal[i]]++] = _values[i];
        if (KeepsBuffers)
        {
            _buildValues = _values;
            _ordinalBuffer = _keyOrdinal;
            _nextBuffer = next;
        }
        _values = values;
        _starts = starts;
        _keyOrdinal = [];
    }

    /// <summary>Renumbers the key ordinals in ascending key order (entry index stays the ordinal, as <see cref="WriteTo"/> expects).</summary>
    private void OrderKeys(int keys)
    {
        var sorted = _ordinals.Keys.ToArray();
        var old = new int[keys];
        for (int i = 0; i < keys; i++) old[i] = i;
        Array.Sort(sorted, old);
        var renumber = new int[keys];
        bool same = true;
        for (int r = 0; r < keys; r++)
        {
            renumber[old[r]] = r;
            same &= old[r] == r;
        }
        if (same) return;
        var ordinals = new OpenHashMap<TKey, int>(keys);
        for (int r = 0; r < keys; r++) ordinals.GetValueRefOrAddDefault(sorted[r], out _) = r;
        _ordinals = ordinals;
        for (int i = 0; i < _count; i++) _keyOrdinal[i] = renumber[_keyOrdinal[i]];
    }

    /// <summary>Empties the map for another build, keeping every buffer it has grown (a join's table refilled each superstep).</summary>
    public void Clear()
    {
        _ordinals.Clear();
        if (_starts is not null)
        {
            // The frozen layout becomes the spare for the next Freeze; the build goes back into its own buffers.
            _spare = _values;
            _startsBuffer = _starts;
            _values = _buildValues ?? new TValue[Math.Max(4, _count)];
            _keyOrdinal = _ordinalBuffer ?? new int[_values.Length];
            _starts = null;
        }
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TValue>())
        {
            Array.Clear(_values);
            if (_spare is not null) Array.Clear(_spare);
        }
        _count = 0;
    }

    /// <summary>
    /// Writes the map (frozen first) in bulk: its keys in ordinal order as one batch, the end offset
    /// of each key's values, then every value as one batch in key order.
    /// </summary>
    /// <remarks>
    /// The frozen layout is written as it is, so keys and values of unmanaged types go out as block
    /// copies (a cached join index of millions of entries moves on every rescale).
    /// Layout: <c>keys.WriteBatch(keys)</c>, <c>int32[keyCount]</c> end offsets, <c>values.WriteBatch(values)</c>.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    public void WriteTo(Runtime.Serialization.ByteWriter writer, Runtime.Serialization.Serializer<TKey> keys, Runtime.Serialization.Serializer<TValue> values)
    {
        Freeze();
        // A key's ordinal is its entry index in the ordinal map (keys are only ever added).
        var ordered = _ordinals.Keys;
        keys.WriteBatch(writer, ordered);
        writer.WriteSpan<int>(_starts!.AsSpan(1, ordered.Length));
        values.WriteBatch(writer, new ReadOnlySpan<TValue>(_values, 0, _count));
    }

    /// <summary>Reads a map written by <see cref="WriteTo"/>, frozen: the layout is rebuilt as it was, without re-adding values.</summary>
    /// <exception cref="Runtime.Serialization.SerializationException">The input is truncated or inconsistent.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    public static HashMultiMap<TKey, TValue> ReadFrom(Runtime.Serialization.ByteReader reader, Runtime.Serialization.Serializer<TKey> keys, Runtime.Serialization.Serializer<TValue> values)
    {
        int n = keys.ReadBatchPooled(reader, out var keyArray);
        try
        {
            var ordinals = new OpenHashMap<TKey, int>(n);
            for (int k = 0; k < n; k++)
            {
                ref int ordinal = ref ordinals.GetValueRefOrAddDefault(keyArray[k], out bool exists);
                if (exists) throw new Runtime.Serialization.SerializationException($"Key {keyArray[k]} appears twice in a serialized multimap.");
                ordinal = k;
            }
            var starts = new int[n + 1];
            reader.ReadSpan<int>(starts.AsSpan(1));
            var all = values.ReadBatch(reader);
            for (int k = 0; k < n; k++)
            {
                if (starts[k + 1] < starts[k]) throw new Runtime.Serialization.SerializationException($"Value offsets of a serialized multimap decrease at key ordinal {k}.");
            }
            if (starts[n] != all.Length) throw new Runtime.Serialization.SerializationException($"A serialized multimap has {all.Length} values but its offsets end at {starts[n]}.");
            return new HashMultiMap<TKey, TValue>(ordinals, all, starts);
        }
        finally
        {
            System.Buffers.ArrayPool<TKey>.Shared.Return(keyArray, RuntimeHelpers.IsReferenceOrContainsReferences<TKey>());
        }
    }

    /// <summary>The keys in ordinal order (frozen maps only): key ordinal <c>k</c>'s values are <see cref="FrozenValues"/>[<see cref="FrozenStarts"/>[k] .. [k + 1]).</summary>
    internal ReadOnlySpan<TKey> FrozenKeys => _ordinals.Keys;

    /// <summary>The start of each key ordinal's values, and the end (frozen maps only).</summary>
    internal int[] FrozenStarts => _starts ?? throw new InvalidOperationException("The multimap is not frozen.");

    /// <summary>All values, each key's contiguous (frozen maps only).</summary>
    internal TValue[] FrozenValues => _values;

    /// <summary>The values of <paramref name="key"/> as a list over the frozen layout (empty when absent); freezes the map on first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ArraySegment<TValue> SegmentOf(TKey key)
    {
        if (_starts is null) Freeze();
        int e = _ordinals.IndexOf(key);
        if (e < 0) return ArraySegment<TValue>.Empty;
        int k = _ordinals.ValueAt(e);
        return new ArraySegment<TValue>(_values, _starts![k], _starts[k + 1] - _starts[k]);
    }

    /// <summary>The values of <paramref name="key"/> in insertion order (empty when absent); freezes the map on first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TValue> ValuesOf(TKey key) => SegmentOf(key);
}
