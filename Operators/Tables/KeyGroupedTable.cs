using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Operators.Tables;

/// <summary>
/// State split by key group (docs/architecture.md §4): one table per key group, so that a change of parallelism
/// hands whole groups to their new subtask (<see cref="Regroup"/>) or ships them to another process
/// (<see cref="WriteGroups"/>, <see cref="ReadGroups"/>).
/// </summary>
/// <typeparam name="TGroup">The table of one key group.</typeparam>
public abstract class KeyGroupedTable<TGroup> : IKeyGroupedState where TGroup : class
{
    /// <summary>The table of each key group (null: no key of that group).</summary>
    protected TGroup?[] Groups { get; }

    /// <summary>Creates an empty state over <paramref name="maxParallelism"/> key groups.</summary>
    protected KeyGroupedTable(int maxParallelism) => Groups = new TGroup?[maxParallelism];

    /// <summary>The key group of <paramref name="hash"/> (a key's <see cref="StableHash"/>).</summary>
    protected int GroupOf(int hash) => KeyGroups.KeyGroupOf(hash, Groups.Length);

    /// <summary>Groups were read in (a move or a restore): anything derived from them is stale.</summary>
    protected virtual void OnGroupsChanged()
    {
    }

    /// <summary>An empty state of the concrete type.</summary>
    protected abstract KeyGroupedTable<TGroup> New();

    /// <summary>Writes one group's table.</summary>
    protected abstract void WriteGroup(TGroup group, ByteWriter writer);

    /// <summary>Reads one group's table, merging into <paramref name="existing"/> when there is one.</summary>
    protected abstract TGroup ReadGroup(ByteReader reader, TGroup? existing);

    /// <inheritdoc />
    public IKeyGroupedState CreateEmpty() => New();

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    public IKeyGroupedState Regroup(IReadOnlyList<IKeyGroupedState> previous, int subtask, int parallelism)
    {
        int maxP = Groups.Length;
        var result = New();
        var (start, end) = KeyGroups.RangeOf(subtask, parallelism, maxP);
        for (int g = start; g < end; g++)
        {
            var owner = (KeyGroupedTable<TGroup>)previous[KeyGroups.SubtaskOf(g, previous.Count, maxP)];
            result.Groups[g] = owner.Groups[g];
        }
        return result;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    public void WriteGroups(int start, int end, ByteWriter writer)
    {
        int present = 0;
        for (int g = start; g < end; g++) present += Groups[g] is null ? 0 : 1;
        writer.WriteVarint((ulong)present);
        for (int g = start; g < end; g++)
        {
            if (Groups[g] is not { } table) continue;
            writer.WriteVarint((ulong)g);
            WriteGroup(table, writer);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per move, its loops over every entry: optimized at once
    public void ReadGroups(ByteReader reader)
    {
        int present = reader.ReadLength();
        for (int i = 0; i < present; i++)
        {
            ulong g = reader.ReadVarint();
            if (g >= (ulong)Groups.Length) throw new SerializationException($"Key group {g} out of range.");
            Groups[g] = ReadGroup(reader, Groups[g]);
        }
        OnGroupsChanged();
    }
}
