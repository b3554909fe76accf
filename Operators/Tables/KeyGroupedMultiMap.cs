using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Operators.Tables;

/// <summary>
/// A <see cref="HashMultiMap{TKey, TValue}"/> per key group: the cached build side of a join inside an
/// iteration. Probing costs one key-group computation more than a single multimap; in exchange, a
/// rescale hands whole key groups to their new subtask in O(key groups) (see <see cref="KeyGroupedTable{TGroup}"/>).
/// </summary>
public sealed class KeyGroupedMultiMap<TKey, TValue>(int maxParallelism) : KeyGroupedTable<HashMultiMap<TKey, TValue>>(maxParallelism)
{
    /// <summary>Number of values.</summary>
    public long Count => Groups.Sum(g => (long)(g?.Count ?? 0));

    // Over small integer keys, once frozen: where each key's values are, indexed by the key itself (see DirectIndex).
    private DirectIndex<TValue>? _direct;
    private bool _directTried;

    /// <summary>Adds a value under a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TKey key, TValue value)
    {
        if (_directTried) ForgetDirect(); // a key added after a probe: the direct index no longer covers every key
        (Groups[GroupOf(StableHash.Of(key))] ??= new HashMultiMap<TKey, TValue>(64) { OrdersKeys = IntegerKeys }).Add(key, value);
    }

    private static bool IntegerKeys => typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int);

    /// <summary>
    /// One more than the largest key when the frozen index is addressed directly by integer keys (each group's keys laid
    /// out in ascending order), else 0: probes sorted by key then read the index front to back.
    /// </summary>
    internal long DirectRange
    {
        get
        {
            if (!IntegerKeys) return 0;
            if (_direct is null && !_directTried) BuildDirect();
            return _direct?.Range ?? 0;
        }
    }

    /// <summary>Lays out every group's index.</summary>
    public void Freeze()
    {
        foreach (var g in Groups) g?.Freeze();
        ForgetDirect();
    }

    /// <inheritdoc />
    protected override void OnGroupsChanged() => ForgetDirect();

    private void ForgetDirect()
    {
        _direct = null;
        _directTried = false;
    }

    /// <summary>The values of <paramref name="key"/> (empty when absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TValue> ValuesOf(TKey key)
    {
        if (typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int))
        {
            // A probe of a frozen index over integer ids: two array reads instead of a key group and a hash lookup.
            if (_direct is { } direct) return direct.ValuesOf(typeof(TKey) == typeof(int) ? Unsafe.As<TKey, int>(ref key) : Unsafe.As<TKey, long>(ref key));
            if (!_directTried && BuildDirect() is not null) return ValuesOf(key);
        }
        var map = Groups[GroupOf(StableHash.Of(key))];
        return map is null ? default : map.ValuesOf(key);
    }

    /// <summary>The values of <paramref name="key"/> as a list over the frozen layout (empty when absent).</summary>
    internal ArraySegment<TValue> SegmentOf(TKey key) =>
        Groups[GroupOf(StableHash.Of(key))] is { } map ? map.SegmentOf(key) : ArraySegment<TValue>.Empty;

    /// <summary>The group tables present (each frozen keys in <see cref="HashMultiMap{TKey, TValue}.FrozenKeys"/>).</summary>
    internal IEnumerable<HashMultiMap<TKey, TValue>> Tables => Groups.Where(g => g is not null)!;

    /// <summary>Builds the direct index once the map is probed frozen, when its keys are integers in a range dense enough.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DirectIndex<TValue>? BuildDirect()
    {
        Freeze();
        _directTried = true;
        _direct = DirectIndex<TValue>.TryBuild(Groups.Where(g => g is not null).Select(g => (g!.FrozenKeys.ToArray(), g.FrozenStarts, g.FrozenValues)).ToList(),
            static (TKey k) => typeof(TKey) == typeof(int) ? Unsafe.As<TKey, int>(ref k) : Unsafe.As<TKey, long>(ref k));
        return _direct;
    }

    /// <inheritdoc />
    protected override KeyGroupedTable<HashMultiMap<TKey, TValue>> New() => new KeyGroupedMultiMap<TKey, TValue>(Groups.Length);

    /// <inheritdoc />
    protected override void WriteGroup(HashMultiMap<TKey, TValue> group, Runtime.Serialization.ByteWriter writer) =>
        group.WriteTo(writer, Runtime.Serialization.Serializers.Get<TKey>(), Runtime.Serialization.Serializers.Get<TValue>());

    /// <inheritdoc />
    protected override HashMultiMap<TKey, TValue> ReadGroup(Runtime.Serialization.ByteReader reader, HashMultiMap<TKey, TValue>? existing) =>
        HashMultiMap<TKey, TValue>.ReadFrom(reader, Runtime.Serialization.Serializers.Get<TKey>(), Runtime.Serialization.Serializers.Get<TValue>());
}
