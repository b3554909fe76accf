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

    /// <summary>Adds a value under a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TKey key, TValue value) => (Groups[GroupOf(StableHash.Of(key))] ??= new HashMultiMap<TKey, TValue>(64)).Add(key, value);

    /// <summary>Lays out every group's index.</summary>
    public void Freeze()
    {
        foreach (var g in Groups) g?.Freeze();
    }

    /// <summary>The values of <paramref name="key"/> (empty when absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TValue> ValuesOf(TKey key)
    {
        var map = Groups[GroupOf(StableHash.Of(key))];
        return map is null ? default : map.ValuesOf(key);
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
