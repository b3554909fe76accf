using Dataflow.Runtime.Serialization;

namespace Dataflow.Runtime.Iterations;

/// <summary>
/// Iteration state that moves when the parallelism changes at a barrier: within this process
/// (<see cref="MoveLocal"/>), or between the worker processes of a cluster job, where every process
/// writes what its old subtasks hold for each new subtask hosted elsewhere in pieces
/// (<see cref="WritePiece"/>) that the receiving process reads in as they arrive
/// (<see cref="ImportPiece"/>) while the next ones are written and sent; what stays in a process
/// changes hands by reference, not serialized (<see cref="ImportOwn"/>).
/// </summary>
public abstract class MovableState
{
    /// <summary>About how many bytes a piece holds: small enough that reading in starts soon after writing (measurements: docs/elasticity.md).</summary>
    public const int PieceBytes = 1 << 20;

    /// <summary>Moves the state to <paramref name="to"/> subtasks of this process.</summary>
    public abstract void MoveLocal(int to, int maxParallelism);

    /// <summary>Starts a move to <paramref name="to"/> subtasks between processes: splits what the local old subtasks hold by new subtask.</summary>
    public abstract void BeginMove(int to, Func<int, bool> isLocalOld, int maxParallelism);

    /// <summary>
    /// Writes the next piece of this process's part of new subtask <paramref name="subtask"/> (hosted by
    /// another process), starting at <paramref name="cursor"/> (0 at first) and advancing it.
    /// </summary>
    /// <returns>True when that was the last piece.</returns>
    public abstract bool WritePiece(int subtask, ref int cursor, ByteWriter writer);

    /// <summary>
    /// True when the parts of a subtask may be read in any order (key groups are disjoint); otherwise
    /// they are read in process order, this process's own part at its place.
    /// </summary>
    public virtual bool AnyOrder => false;

    /// <summary>Starts building the <paramref name="to"/> new subtasks of this process.</summary>
    public abstract void BeginImport(int to);

    /// <summary>Adds a piece another process sent for local new subtask <paramref name="subtask"/>.</summary>
    public abstract void ImportPiece(int subtask, ReadOnlyMemory<byte> piece);

    /// <summary>Adds what this process's old subtasks hold for local new subtask <paramref name="subtask"/>.</summary>
    public abstract void ImportOwn(int subtask);

    /// <summary>Ends the move: the new subtasks' state replaces the old.</summary>
    public abstract void EndImport();

    /// <summary>
    /// A state of the same kind and record types over <paramref name="subtasks"/> old subtasks, of which
    /// subtask <paramref name="at"/> holds a small copy of what this one holds (none when <paramref name="at"/>
    /// is negative or this holds nothing), to rehearse a move with: its code is then compiled before a real
    /// move needs it. Reads this state, never changes it.
    /// </summary>
    public abstract MovableState Sample(int maxParallelism, int subtasks = 2, int at = 0);

    /// <summary>
    /// Serializes what subtask <paramref name="subtask"/> of <paramref name="parallelism"/> holds now, in pieces
    /// that <see cref="BeginImport"/>, <see cref="ImportPiece"/> and <see cref="EndImport"/> read back (a superstep
    /// checkpoint). Reads this state, never changes it, and touches none of a move's fields: subtasks may be
    /// snapshot in parallel.
    /// </summary>
    /// <returns>The pieces, each of about <see cref="PieceBytes"/>; none when the subtask holds nothing.</returns>
    public abstract List<byte[]> Snapshot(int subtask, int parallelism, int maxParallelism);
}
