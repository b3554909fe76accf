using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;

namespace Dataflow.Operators.Join;

/// <summary>
/// The build side of a hash join: a plain multimap, or, when the build side is loop-invariant and kept across
/// supersteps (<see cref="OperatorInfo.StaticState"/>), one multimap per key group, so that a rescale moves key groups,
/// not records. A later superstep finds it frozen in the slot and its input does not run again (<see cref="Prebuilt"/>).
/// </summary>
internal sealed class JoinIndex<TKey, TBuild>
{
    private readonly HashMultiMap<TKey, TBuild>? _table;
    private readonly KeyGroupedMultiMap<TKey, TBuild>? _grouped;
    private readonly StateSlot? _slot;

    public JoinIndex(OperatorInfo info)
    {
        _slot = info.StaticState;
        if (_slot?.Value is KeyGroupedMultiMap<TKey, TBuild> cached)
        {
            _grouped = cached;
            Prebuilt = true;
        }
        else if (_slot is not null)
        {
            _grouped = new KeyGroupedMultiMap<TKey, TBuild>(info.MaxParallelism);
        }
        else if (info.Scratch is { } scratch)
        {
            // Rebuilt every superstep: the table the last superstep grew is cleared and refilled.
            _table = scratch.Keep(static () => new HashMultiMap<TKey, TBuild>() { KeepsBuffers = true }, out bool reused);
            if (reused) _table.Clear();
        }
        else
        {
            _table = new HashMultiMap<TKey, TBuild>();
        }
    }

    /// <summary>True when an earlier superstep built the index: the build input is closed at once.</summary>
    public bool Prebuilt { get; }

    /// <summary>Adds build records; a null key matches nothing (as in <c>Enumerable.Join</c>).</summary>
    public void Add(ReadOnlySpan<TBuild> batch, Func<TBuild, TKey> key)
    {
        if (Prebuilt) throw new InvalidOperationException("The build side of a cached join received records.");
        var table = _table;
        var grouped = _grouped;
        foreach (ref readonly var b in batch)
        {
            var k = key(b);
            if (k is null) continue;
            if (table is not null) table.Add(k, b);
            else grouped!.Add(k, b);
        }
    }

    /// <summary>The build side ended: lays out the index and, when it is kept, leaves it in the slot.</summary>
    public void Freeze()
    {
        if (Prebuilt) return;
        _table?.Freeze();
        _grouped?.Freeze();
        if (_slot is not null) _slot.Value = _grouped;
    }

    /// <summary>
    /// One more than the largest key when the frozen index is a loop-invariant one addressed directly by integer keys laid
    /// out in ascending order, else 0 (see <see cref="KeyGroupedMultiMap{TKey, TValue}.DirectRange"/>).
    /// </summary>
    public long DirectRange => _grouped?.DirectRange ?? 0;

    /// <summary>The build records of <paramref name="key"/> (empty for a null key or none).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<TBuild> ValuesOf(TKey key) =>
        key is null ? default : _table is { } table ? table.ValuesOf(key) : _grouped!.ValuesOf(key);
}
