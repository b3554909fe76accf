using Dataflow.Operators.Core;
using Dataflow.Plan;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Iterations;

/// <summary>
/// Iteration state that moves when the parallelism changes at a barrier: within this process
/// (<see cref="MoveLocal"/>), or between the worker processes of a cluster job, where every process
/// exports what its old subtasks hold for each new subtask and imports what all processes export
/// for its new subtasks.
/// </summary>
internal abstract class MovableState
{
    /// <summary>Moves the state to <paramref name="to"/> subtasks of this process.</summary>
    public abstract void MoveLocal(int to, int maxParallelism);

    /// <summary>This process's contribution to each of the <paramref name="to"/> new subtasks (from its old subtasks).</summary>
    public abstract byte[][] Export(int to, Func<int, bool> isLocalOld, int maxParallelism);

    /// <summary>Builds the new state of the local new subtasks from every process's contribution (in process order).</summary>
    public abstract void Import(int to, Func<int, bool> isLocalNew, Func<int, IReadOnlyList<byte[]>> contributions);
}

/// <summary>Per-subtask lists (partial solution, workset, recorded inputs), redistributed as their requirement says.</summary>
internal sealed class ListsState<T>(Func<List<T>[]> get, Action<List<T>[]> set, Requirement<T> requirement) : MovableState
{
    public override void MoveLocal(int to, int maxParallelism)
    {
        var parts = get();
        if (parts.Length != to) set(requirement.Repartition(parts, to, maxParallelism));
    }

    public override byte[][] Export(int to, Func<int, bool> isLocalOld, int maxParallelism)
    {
        var parts = get();
        var local = parts.Select((p, o) => isLocalOld(o) ? p : []).ToArray();
        var serializer = Serializers.Get<T>();
        // Same parallelism (a subtask moves to another worker): each list stays with its subtask.
        var target = parts.Length == to ? local : requirement.Repartition(local, to, maxParallelism);
        return target.Select(list =>
        {
            var w = new ByteWriter(64 + list.Count * 8);
            serializer.WriteBatch(w, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list));
            return w.WrittenSpan.ToArray();
        }).ToArray();
    }

    public override void Import(int to, Func<int, bool> isLocalNew, Func<int, IReadOnlyList<byte[]>> contributions)
    {
        var serializer = Serializers.Get<T>();
        var result = new List<T>[to];
        for (int s = 0; s < to; s++)
        {
            result[s] = new List<T>();
            if (!isLocalNew(s)) continue;
            foreach (var bytes in contributions(s)) result[s].AddRange(serializer.ReadBatch(new ByteReader(bytes)));
        }
        set(result);
    }
}

/// <summary>State kept per key group (solution set, cached join index): whole key groups change hands.</summary>
internal sealed class KeyedState(Func<IKeyGroupedState?[]> get, Action<IKeyGroupedState[]> set, Func<IKeyGroupedState> empty) : MovableState
{
    public override void MoveLocal(int to, int maxParallelism)
    {
        var states = get().Select(s => s ?? empty()).ToList();
        set(Enumerable.Range(0, to).Select(s => states[0].Regroup(states, s, to)).ToArray());
    }

    public override byte[][] Export(int to, Func<int, bool> isLocalOld, int maxParallelism)
    {
        var states = get();
        var result = new byte[to][];
        for (int s = 0; s < to; s++)
        {
            var (start, end) = KeyGroups.RangeOf(s, to, maxParallelism);
            var w = new ByteWriter(256);
            var holders = states.Select((st, o) => (st, o)).Where(x => x.st is not null && isLocalOld(x.o)).ToList();
            w.WriteVarint((ulong)holders.Count);
            foreach (var (st, _) in holders) st!.WriteGroups(start, end, w);
            result[s] = w.WrittenSpan.ToArray();
        }
        return result;
    }

    public override void Import(int to, Func<int, bool> isLocalNew, Func<int, IReadOnlyList<byte[]>> contributions)
    {
        var result = new IKeyGroupedState[to];
        for (int s = 0; s < to; s++)
        {
            result[s] = empty();
            if (!isLocalNew(s)) continue;
            foreach (var bytes in contributions(s))
            {
                var r = new ByteReader(bytes);
                int holders = r.ReadLength();
                for (int i = 0; i < holders; i++) result[s].ReadGroups(r);
            }
        }
        set(result);
    }
}

