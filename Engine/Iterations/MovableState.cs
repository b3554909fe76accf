using Dataflow.Operators.Core;
using Dataflow.Plan;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Iterations;

/// <summary>
/// Iteration state that moves when the parallelism changes at a barrier: within this process
/// (<see cref="MoveLocal"/>), or between the worker processes of a cluster job, where every process
/// writes what its old subtasks hold for each new subtask hosted elsewhere (<see cref="WriteFor"/>)
/// and builds its own new subtasks from what stays here — by reference, not serialized — and what
/// the other processes sent (<see cref="Import"/>).
/// </summary>
internal abstract class MovableState
{
    /// <summary>Moves the state to <paramref name="to"/> subtasks of this process.</summary>
    public abstract void MoveLocal(int to, int maxParallelism);

    /// <summary>Starts a move to <paramref name="to"/> subtasks between processes: splits what the local old subtasks hold by new subtask.</summary>
    public abstract void BeginMove(int to, Func<int, bool> isLocalOld, int maxParallelism);

    /// <summary>Writes this process's part of new subtask <paramref name="subtask"/> (hosted by another process).</summary>
    public abstract void WriteFor(int subtask, ByteWriter writer);

    /// <summary>
    /// Builds the local new subtasks: for each, the contributions of every process in process order,
    /// <paramref name="self"/>'s being the part that stayed here.
    /// </summary>
    public abstract void Import(int to, Func<int, bool> isLocalNew, int self, Func<int, IReadOnlyList<(int Participant, ReadOnlyMemory<byte> Bytes)>> remote);
}

/// <summary>Per-subtask lists (partial solution, workset, recorded inputs), redistributed as their requirement says.</summary>
internal sealed class ListsState<T>(Func<List<T>[]> get, Action<List<T>[]> set, Requirement<T> requirement) : MovableState
{
    private List<T>[] _target = [];

    public override void MoveLocal(int to, int maxParallelism)
    {
        var parts = get();
        if (parts.Length != to) set(requirement.Repartition(parts, to, maxParallelism));
    }

    public override void BeginMove(int to, Func<int, bool> isLocalOld, int maxParallelism)
    {
        var parts = get();
        var local = parts.Select((p, o) => isLocalOld(o) ? p : []).ToArray();
        // Same parallelism (a subtask moves to another worker): each list stays with its subtask.
        _target = parts.Length == to ? local : requirement.Repartition(local, to, maxParallelism);
    }

    public override void WriteFor(int subtask, ByteWriter writer) =>
        Serializers.Get<T>().WriteBatch(writer, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_target[subtask]));

    public override void Import(int to, Func<int, bool> isLocalNew, int self, Func<int, IReadOnlyList<(int Participant, ReadOnlyMemory<byte> Bytes)>> remote)
    {
        var serializer = Serializers.Get<T>();
        var result = new List<T>[to];
        for (int s = 0; s < to; s++)
        {
            if (!isLocalNew(s))
            {
                result[s] = new List<T>();
                continue;
            }
            var parts = remote(s);
            bool ownAdded = false;
            var list = new List<T>(_target[s].Count);
            foreach (var (participant, bytes) in parts)
            {
                if (!ownAdded && participant > self)
                {
                    list.AddRange(_target[s]);
                    ownAdded = true;
                }
                list.AddRange(serializer.ReadBatch(new ByteReader(bytes)));
            }
            if (!ownAdded) list.AddRange(_target[s]);
            result[s] = list;
        }
        _target = [];
        set(result);
    }
}

/// <summary>State kept per key group (solution set, cached join index): whole key groups change hands.</summary>
internal sealed class KeyedState(Func<IKeyGroupedState?[]> get, Action<IKeyGroupedState[]> set, Func<IKeyGroupedState> empty) : MovableState
{
    private List<IKeyGroupedState> _held = [];
    private int _to;
    private int _maxParallelism;

    public override void MoveLocal(int to, int maxParallelism)
    {
        var states = get().Select(s => s ?? empty()).ToList();
        set(Enumerable.Range(0, to).Select(s => states[0].Regroup(states, s, to)).ToArray());
    }

    public override void BeginMove(int to, Func<int, bool> isLocalOld, int maxParallelism)
    {
        _held = get().Select((st, o) => (st, o)).Where(x => x.st is not null && isLocalOld(x.o)).Select(x => x.st!).ToList();
        _to = to;
        _maxParallelism = maxParallelism;
    }

    public override void WriteFor(int subtask, ByteWriter writer)
    {
        var (start, end) = KeyGroups.RangeOf(subtask, _to, _maxParallelism);
        writer.WriteVarint((ulong)_held.Count);
        foreach (var st in _held) st.WriteGroups(start, end, writer);
    }

    public override void Import(int to, Func<int, bool> isLocalNew, int self, Func<int, IReadOnlyList<(int Participant, ReadOnlyMemory<byte> Bytes)>> remote)
    {
        var result = new IKeyGroupedState[to];
        for (int s = 0; s < to; s++)
        {
            // The groups that stay in this process change hands by reference; key groups are disjoint, so order does not matter.
            result[s] = _held.Count > 0 && isLocalNew(s) ? _held[0].Regroup(_held, s, to) : empty();
            if (!isLocalNew(s)) continue;
            foreach (var (_, bytes) in remote(s))
            {
                var r = new ByteReader(bytes);
                int holders = r.ReadLength();
                for (int i = 0; i < holders; i++) result[s].ReadGroups(r);
            }
        }
        _held = [];
        set(result);
    }
}
