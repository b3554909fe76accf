using Dataflow.Operators.Core;
using Dataflow.Plan;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Iterations;

/// <summary>Per-subtask lists (partial solution, workset, recorded inputs), redistributed as their requirement says.</summary>
internal sealed class ListsState<T>(Func<List<T>[]> get, Action<List<T>[]> set, Requirement<T> requirement) : MovableState
{
    private List<T>[] _target = [];
    private List<T>[] _result = [];
    private int _recordsPerPiece = 1;

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
        _recordsPerPiece = RecordsPerPiece(_target);
    }

    /// <summary>Records in a piece of about <see cref="MovableState.PieceBytes"/>, judged from the first records' size.</summary>
    private static int RecordsPerPiece(List<T>[] parts)
    {
        var sample = parts.FirstOrDefault(l => l.Count > 0);
        if (sample is null) return 1;
        var w = new ByteWriter(4096);
        int n = Math.Min(sample.Count, 64);
        Serializers.Get<T>().WriteBatch(w, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(sample)[..n]);
        return (int)Math.Clamp((long)PieceBytes * n / Math.Max(1, w.Length), 1, int.MaxValue);
    }

    public override bool WritePiece(int subtask, ref int cursor, ByteWriter writer) => Write(_target[subtask], _recordsPerPiece, ref cursor, writer);

    private static bool Write(List<T> list, int recordsPerPiece, ref int cursor, ByteWriter writer)
    {
        int n = Math.Min(list.Count - cursor, recordsPerPiece);
        // The records this part still has, this piece's included: the receiver makes room for all of them at once.
        writer.Write(list.Count - cursor);
        Serializers.Get<T>().WriteBatch(writer, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list).Slice(cursor, n));
        cursor += n;
        return cursor >= list.Count;
    }

    public override List<byte[]> Snapshot(int subtask, int parallelism, int maxParallelism)
    {
        var parts = get();
        var pieces = new List<byte[]>();
        if (parts.Length != parallelism) throw new InvalidOperationException($"A snapshot of {parallelism} subtasks, but the state has {parts.Length}.");
        var list = parts[subtask];
        if (list.Count == 0) return pieces;
        int perPiece = RecordsPerPiece([list]);
        var w = new ByteWriter(Math.Min(PieceBytes + (PieceBytes >> 2), 4096 + list.Count * 16));
        for (int cursor = 0; ;)
        {
            w.Clear();
            bool last = Write(list, perPiece, ref cursor, w);
            pieces.Add(w.WrittenSpan.ToArray());
            if (last) return pieces;
        }
    }

    public override void BeginImport(int to)
    {
        _result = new List<T>[to];
        for (int s = 0; s < to; s++) _result[s] = new List<T>();
    }

    public override void ImportPiece(int subtask, ReadOnlyMemory<byte> piece)
    {
        var reader = new ByteReader(piece);
        var into = _result[subtask];
        into.EnsureCapacity(into.Count + reader.Read<int>());
        Serializers.Get<T>().ReadBatch(reader, into);
    }

    // What stays changes hands by reference when it comes first (its list is this move's own, see BeginMove).
    public override void ImportOwn(int subtask)
    {
        if (_result[subtask].Count == 0) _result[subtask] = _target[subtask];
        else _result[subtask].AddRange(_target[subtask]);
    }

    public override MovableState Sample(int maxParallelism, int subtasks = 2, int at = 0)
    {
        var parts = new List<T>[subtasks];
        for (int o = 0; o < subtasks; o++) parts[o] = [];
        var first = at >= 0 ? get().FirstOrDefault(l => l.Count > 0) : null;
        if (first is not null) parts[at] = first.GetRange(0, Math.Min(first.Count, SampleRecords));
        return new ListsState<T>(() => parts, v => parts = v, requirement);
    }

    /// <summary>Records in a <see cref="Sample"/>: enough calls for the runtime to optimize the per-record code.</summary>
    private const int SampleRecords = 256;

    public override void EndImport()
    {
        set(_result);
        _target = [];
        _result = [];
    }

    /// <summary>What it holds, as a checkpoint names it (a resumed program must hold the same).</summary>
    public override string ToString() => $"lists of {typeof(T)}";
}

/// <summary>State kept per key group (solution set, cached join index): whole key groups change hands.</summary>
internal sealed class KeyedState(Func<IKeyGroupedState?[]> get, Action<IKeyGroupedState[]> set, Func<IKeyGroupedState> empty) : MovableState
{
    private List<IKeyGroupedState> _held = [];
    private IKeyGroupedState[] _local = [];
    private IKeyGroupedState[] _result = [];
    private int _to;
    private int _maxParallelism;

    public override void MoveLocal(int to, int maxParallelism)
    {
        var states = get().Select(s => s ?? empty()).ToList();
        set(Enumerable.Range(0, to).Select(s => states[0].Regroup(states, s, to)).ToArray());
    }

    public override void BeginMove(int to, Func<int, bool> isLocalOld, int maxParallelism)
    {
        var states = get();
        _held = states.Select((st, o) => (st, o)).Where(x => x.st is not null && isLocalOld(x.o)).Select(x => x.st!).ToList();
        // By old subtask (empty where another process holds it): regrouping looks a key group up in the subtask that held it.
        _local = _held.Count == 0 ? [] : states.Select((st, o) => st is not null && isLocalOld(o) ? st : _held[0].CreateEmpty()).ToArray();
        _to = to;
        _maxParallelism = maxParallelism;
    }

    public override bool WritePiece(int subtask, ref int cursor, ByteWriter writer) => WriteBlocks(_held, subtask, _to, _maxParallelism, ref cursor, writer);

    /// <summary>
    /// A piece of subtask <paramref name="subtask"/>'s key groups from <paramref name="held"/>: whole key groups, one after the
    /// other (a block per state and group), from <paramref name="cursor"/> until the piece is big enough.
    /// </summary>
    /// <returns>True when that was the subtask's last piece.</returns>
    private static bool WriteBlocks(IReadOnlyList<IKeyGroupedState> held, int subtask, int parallelism, int maxParallelism, ref int cursor, ByteWriter writer)
    {
        var (start, end) = KeyGroups.RangeOf(subtask, parallelism, maxParallelism);
        if (cursor < start) cursor = start;
        int at = writer.ReserveInt32();
        int blocks = 0;
        while (cursor < end && writer.Length - at < PieceBytes)
        {
            for (int i = 0; i < held.Count; i++) held[i].WriteGroups(cursor, cursor + 1, writer);
            blocks += held.Count;
            cursor++;
        }
        writer.PatchInt32(at, blocks);
        return cursor >= end;
    }

    public override bool AnyOrder => true;

    public override void BeginImport(int to)
    {
        _result = new IKeyGroupedState[to];
        for (int s = 0; s < to; s++) _result[s] = empty();
    }

    public override void ImportPiece(int subtask, ReadOnlyMemory<byte> piece)
    {
        var r = new ByteReader(piece);
        int blocks = r.Read<int>();
        for (int i = 0; i < blocks; i++) _result[subtask].ReadGroups(r);
    }

    // The groups that stay in this process change hands by reference (first: the table is new then).
    public override void ImportOwn(int subtask)
    {
        if (_local.Length > 0) _result[subtask] = _local[0].Regroup(_local, subtask, _to);
    }

    public override void EndImport()
    {
        set(_result);
        _held = [];
        _local = [];
        _result = [];
    }

    public override List<byte[]> Snapshot(int subtask, int parallelism, int maxParallelism)
    {
        var states = get();
        if (states.Length != parallelism) throw new InvalidOperationException($"A snapshot of {parallelism} subtasks, but the state has {states.Length}.");
        var pieces = new List<byte[]>();
        if (states[subtask] is not { } state) return pieces;
        // WritePiece's format over this one state, so ImportPiece reads it back.
        var w = new ByteWriter(4096);
        for (int cursor = 0; ;)
        {
            w.Clear();
            bool last = WriteBlocks([state], subtask, parallelism, maxParallelism, ref cursor, w);
            pieces.Add(w.WrittenSpan.ToArray());
            if (last) return pieces;
        }
    }

    public override MovableState Sample(int maxParallelism, int subtasks = 2, int at = 0)
    {
        var states = get();
        int o = at >= 0 ? Array.FindIndex(states, st => st is not null) : -1;
        var parts = new IKeyGroupedState[subtasks];
        for (int i = 0; i < subtasks; i++) parts[i] = empty();
        if (o >= 0)
        {
            // A copy of the first key group that holds something, of the first subtask this process holds.
            var source = states[o]!;
            var (start, end) = KeyGroups.RangeOf(o, states.Length, maxParallelism);
            var w = new ByteWriter(4096);
            for (int g = start; g < end; g++)
            {
                w.Clear();
                source.WriteGroups(g, g + 1, w);
                if (w.Length > 1) break; // more than the count of groups present, 0
            }
            if (w.Length > 0) parts[at].ReadGroups(new ByteReader(w.WrittenMemory));
        }
        return new KeyedState(() => parts, v => parts = v, empty);
    }

    /// <summary>What it holds, as a checkpoint names it (a resumed program must hold the same).</summary>
    public override string ToString() => _description ??= $"key groups of {empty().GetType()}";

    private string? _description;
}
