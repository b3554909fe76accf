using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Operators.Tables;

/// <summary>
/// A <see cref="HashMultiMap{TKey, TValue}"/> per key group: the cached build side of a join inside an
/// iteration. Probing costs one key-group computation more than a single multimap; in exchange, a
/// rescale hands whole key groups to their new subtask (<see cref="Regroup"/>) in O(key groups).
/// </summary>
public sealed class KeyGroupedMultiMap<TKey, TValue> : IKeyGroupedState
{
    private readonly HashMultiMap<TKey, TValue>?[] _groups;

    /// <summary>Creates an empty map over <paramref name="maxParallelism"/> key groups.</summary>
    public KeyGroupedMultiMap(int maxParallelism) => _groups = new HashMultiMap<TKey, TValue>?[maxParallelism];

    /// <summary>Number of values.</summary>
    public long Count => _groups.Sum(g => (long)(g?.Count ?? 0));

    /// <summary>Adds a value under a key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(TKey key, TValue value)
    {
        int g = KeyGroups.KeyGroupOf(StableHash.Of(key), _groups.Length);
        (_groups[g] ??= new HashMultiMap<TKey, TValue>(64)).Add(key, value);
    }

    /// <summary>Lays out every group's index.</summary>
    public void Freeze()
    {
        foreach (var g in _groups) g?.Freeze();
    }

    /// <summary>The values of <paramref name="key"/> (empty when absent).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TValue> ValuesOf(TKey key)
    {
        var map = _groups[KeyGroups.KeyGroupOf(StableHash.Of(key), _groups.Length)];
        return map is null ? default : map.ValuesOf(key);
    }

    /// <inheritdoc />
    public IKeyGroupedState Regroup(IReadOnlyList<IKeyGroupedState> previous, int subtask, int parallelism)
    {
        int maxP = _groups.Length;
        var result = new KeyGroupedMultiMap<TKey, TValue>(maxP);
        var (start, end) = KeyGroups.RangeOf(subtask, parallelism, maxP);
        for (int g = start; g < end; g++)
        {
            var owner = (KeyGroupedMultiMap<TKey, TValue>)previous[KeyGroups.SubtaskOf(g, previous.Count, maxP)];
            result._groups[g] = owner._groups[g];
        }
        return result;
    }

    /// <inheritdoc />
    public IKeyGroupedState CreateEmpty() => new KeyGroupedMultiMap<TKey, TValue>(_groups.Length);

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
            map.WriteTo(writer, keys, values);
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
            _groups[g] = HashMultiMap<TKey, TValue>.ReadFrom(reader, keys, values);
        }
    }
}
