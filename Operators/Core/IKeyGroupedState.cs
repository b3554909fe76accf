namespace Dataflow.Operators.Core;

/// <summary>
/// Operator state partitioned by key group (docs/architecture.md §4), so that a change of parallelism moves
/// whole key groups between subtasks instead of rebuilding the state record by record.
/// </summary>
public interface IKeyGroupedState
{
    /// <summary>
    /// The state of subtask <paramref name="subtask"/> of <paramref name="parallelism"/>: the key groups
    /// of its range, each taken (not copied) from the previous subtask that held it.
    /// </summary>
    /// <param name="previous">The states of all previous subtasks, by their subtask index (of the same type as this one).</param>
    /// <param name="subtask">The new subtask.</param>
    /// <param name="parallelism">The new parallelism.</param>
    IKeyGroupedState Regroup(IReadOnlyList<IKeyGroupedState> previous, int subtask, int parallelism);

    /// <summary>An empty state of the same kind (for a subtask that receives key groups from other processes).</summary>
    IKeyGroupedState CreateEmpty();

    /// <summary>Writes the key groups in [<paramref name="start"/>, <paramref name="end"/>) that this state holds (to move them to another process).</summary>
    void WriteGroups(int start, int end, Runtime.Serialization.ByteWriter writer);

    /// <summary>Adds key groups written by <see cref="WriteGroups"/>.</summary>
    void ReadGroups(Runtime.Serialization.ByteReader reader);
}
