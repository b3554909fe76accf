using System.Runtime.CompilerServices;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Operators.Tables;

/// <summary>
/// A keyed index split by key group (docs/architecture.md §4): one hash map per key group, so a subtask's
/// share moves between subtasks as whole maps when the parallelism changes. Holds the solution set
/// of a delta iteration.
/// </summary>
public sealed class KeyGroupedIndex<TKey, TValue>(int maxParallelism) : KeyGroupedTable<OpenHashMap<TKey, TValue>>(maxParallelism)
{
    /// <summary>Number of entries.</summary>
    public int Count => Groups.Sum(g => g?.Count ?? 0);

    /// <summary>Adds or replaces the value of <paramref name="key"/>.</summary>
    public void Put(TKey key, TValue value)
    {
        int g = GroupOf(StableHash.Of(key));
        var map = Groups[g] ??= new OpenHashMap<TKey, TValue>(64);
        map.GetValueRefOrAddDefault(key, out _) = value;
    }

    /// <summary>Looks up <paramref name="key"/>.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var map = Groups[GroupOf(StableHash.Of(key))];
        int i = map?.IndexOf(key) ?? -1;
        if (i < 0)
        {
            value = default!;
            return false;
        }
        value = map!.ValueAt(i);
        return true;
    }

    /// <summary>Appends every value to <paramref name="target"/>.</summary>
    public void CopyValuesTo(List<TValue> target)
    {
        foreach (var g in Groups)
        {
            if (g is not null) target.AddRange(g.Values);
        }
    }

    /// <inheritdoc />
    protected override KeyGroupedTable<OpenHashMap<TKey, TValue>> New() => new KeyGroupedIndex<TKey, TValue>(Groups.Length);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    protected override void WriteGroup(OpenHashMap<TKey, TValue> group, Runtime.Serialization.ByteWriter writer)
    {
        Runtime.Serialization.Serializers.Get<TKey>().WriteBatch(writer, group.Keys);
        Runtime.Serialization.Serializers.Get<TValue>().WriteBatch(writer, group.Values);
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    protected override OpenHashMap<TKey, TValue> ReadGroup(Runtime.Serialization.ByteReader reader, OpenHashMap<TKey, TValue>? existing)
    {
        var keys = Runtime.Serialization.Serializers.Get<TKey>().ReadBatch(reader);
        var values = Runtime.Serialization.Serializers.Get<TValue>().ReadBatch(reader);
        if (keys.Length != values.Length) throw new Runtime.Serialization.SerializationException("Key group with unequal keys and values.");
        var map = existing ?? new OpenHashMap<TKey, TValue>(Math.Max(16, keys.Length));
        for (int j = 0; j < keys.Length; j++) map.GetValueRefOrAddDefault(keys[j], out _) = values[j];
        return map;
    }
}
