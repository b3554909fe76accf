using Dataflow.Runtime.Partitioning;

namespace Dataflow.Operators.Tables;

/// <summary>
/// A keyed index split by key group (DESIGN.md §4): one hash map per key group, so a subtask's
/// share moves between subtasks as whole maps when the parallelism changes. Holds the solution set
/// of a delta iteration.
/// </summary>
public sealed class KeyGroupedIndex<TKey, TValue> : Core.IKeyGroupedState
{
    private readonly OpenHashMap<TKey, TValue>?[] _groups;

    /// <summary>Creates an empty index over <paramref name="maxParallelism"/> key groups.</summary>
    public KeyGroupedIndex(int maxParallelism) => _groups = new OpenHashMap<TKey, TValue>?[maxParallelism];

    /// <summary>Number of entries.</summary>
    public int Count => _groups.Sum(g => g?.Count ?? 0);

    private OpenHashMap<TKey, TValue>? GroupOf(TKey key) => _groups[KeyGroups.KeyGroupOf(StableHash.Of(key), _groups.Length)];

    /// <summary>Adds or replaces the value of <paramref name="key"/>.</summary>
    public void Put(TKey key, TValue value)
    {
        int g = KeyGroups.KeyGroupOf(StableHash.Of(key), _groups.Length);
        var map = _groups[g] ??= new OpenHashMap<TKey, TValue>(64);
        map.GetValueRefOrAddDefault(key, out _) = value;
    }

    /// <summary>Looks up <paramref name="key"/>.</summary>
    public bool TryGetValue(TKey key, out TValue value)
    {
        var map = GroupOf(key);
        int i = map?.IndexOf(key) ?? -1;
        if (i < 0)
        {
            value = default!;
            return false;
        }
        value = map!.ValueAt(i);
        return true;
    }

    /// <summary>Copies all values into <paramref name="target"/>, key group by key group.</summary>
    public void CopyValuesTo(List<TValue> target)
    {
        foreach (var g in _groups)
        {
            if (g is not null) target.AddRange(g.Values);
        }
    }

    /// <inheritdoc />
    public Core.IKeyGroupedState Regroup(IReadOnlyList<Core.IKeyGroupedState> previous, int subtask, int parallelism)
    {
        int maxP = _groups.Length;
        var result = new KeyGroupedIndex<TKey, TValue>(maxP);
        var (start, end) = KeyGroups.RangeOf(subtask, parallelism, maxP);
        for (int g = start; g < end; g++)
        {
            var owner = (KeyGroupedIndex<TKey, TValue>)previous[KeyGroups.SubtaskOf(g, previous.Count, maxP)];
            result._groups[g] = owner._groups[g];
        }
        return result;
    }

    /// <inheritdoc />
    public Core.IKeyGroupedState CreateEmpty() => new KeyGroupedIndex<TKey, TValue>(_groups.Length);

    /// <inheritdoc />
    public void WriteGroups(int start, int end, Runtime.Serialization.ByteWriter writer)
    {
        var keys = Runtime.Serialization.Serializers.Get<TKey>();
        var values = Runtime.Serialization.Serializers.Get<TValue>();
        int present = 0;
        for (int g = start; g < end; g++) present += _groups[g] is null ? 0 : 1;
        writer.WriteVarint((ulong)present);
        for (int g = start; g < end; g++)
        {
            if (_groups[g] is not { } map) continue;
            writer.WriteVarint((ulong)g);
            keys.WriteBatch(writer, map.Keys);
            values.WriteBatch(writer, map.Values);
        }
    }

    /// <inheritdoc />
    public void ReadGroups(Runtime.Serialization.ByteReader reader)
    {
        var keys = Runtime.Serialization.Serializers.Get<TKey>();
        var values = Runtime.Serialization.Serializers.Get<TValue>();
        int present = reader.ReadLength();
        for (int i = 0; i < present; i++)
        {
            ulong g64 = reader.ReadVarint();
            if (g64 >= (ulong)_groups.Length) throw new Runtime.Serialization.SerializationException($"Key group {g64} out of range.");
            int g = (int)g64;
            var k = keys.ReadBatch(reader);
            var v = values.ReadBatch(reader);
            if (k.Length != v.Length) throw new Runtime.Serialization.SerializationException("Key group with unequal keys and values.");
            var map = _groups[g] ??= new OpenHashMap<TKey, TValue>(Math.Max(16, k.Length));
            for (int j = 0; j < k.Length; j++) map.GetValueRefOrAddDefault(k[j], out _) = v[j];
        }
    }
}
