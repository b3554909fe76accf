using Dataflow.Runtime.Iterations;
using Dataflow.Iterations;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Plan;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Engine.Tests;

/// <summary>
/// The piece format of moves between processes, in one process: what one side writes
/// (<see cref="MovableState.WritePiece"/>) the other reads in (<see cref="MovableState.ImportPiece"/>),
/// and the samples a move is rehearsed on (<see cref="MovableState.Sample"/>).
/// </summary>
public class MovableStateTests
{
    private const int MaxP = 128;

    private static List<string>[] Lists(int parts, int records, int length) =>
        Enumerable.Range(0, parts).Select(p => Enumerable.Range(0, records).Select(i => $"{p}:{i}:".PadRight(length, 'x')).ToList()).ToArray();

    /// <summary>Writes every piece of every new subtask from <paramref name="sender"/> and reads them into <paramref name="receiver"/>.</summary>
    private static int Ship(MovableState sender, MovableState receiver, int to)
    {
        int pieces = 0;
        var w = new ByteWriter(1024);
        for (int s = 0; s < to; s++)
        {
            int cursor = 0;
            bool last;
            do
            {
                w.Clear();
                last = sender.WritePiece(s, ref cursor, w);
                receiver.ImportPiece(s, w.WrittenMemory.ToArray());
                pieces++;
            }
            while (!last);
        }
        return pieces;
    }

    [Theory]
    [InlineData(2, 3, 10)]
    [InlineData(3, 1, 3000)] // more than a piece: about 3.6 MiB of strings
    [InlineData(2, 2, 0)]
    public void ListsState_ShippedInPieces_EqualsTheLocalRepartition(int from, int to, int records)
    {
        var source = Lists(from, records, 400);
        var expected = Requirement<string>.Any.Repartition(source, to, MaxP);
        List<string>[] received = [];
        var sender = new ListsState<string>(() => source, _ => throw new InvalidOperationException("the sender keeps its state"), Requirement<string>.Any);
        var receiver = new ListsState<string>(() => [], v => received = v, Requirement<string>.Any);
        sender.BeginMove(to, _ => true, MaxP);
        receiver.BeginImport(to);
        int pieces = Ship(sender, receiver, to);
        receiver.EndImport();

        Assert.Equal(expected.Length, received.Length);
        for (int s = 0; s < to; s++) Assert.Equal(expected[s], received[s]);
        if (from * records * 400 > 2 * MovableState.PieceBytes) Assert.True(pieces > to, $"{pieces} pieces");
    }

    [Fact]
    public void ListsState_OwnPartThenPieces_KeepsProcessOrder()
    {
        // Subtask 0 stays here (by reference), subtask 1's part arrives from another process after it.
        var mine = Lists(2, 5, 8);
        var theirs = Lists(2, 4, 12);
        List<string>[] result = [];
        var local = new ListsState<string>(() => mine, v => result = v, Requirement<string>.Any);
        var remote = new ListsState<string>(() => theirs, _ => { }, Requirement<string>.Any);
        local.BeginMove(1, o => o == 0, MaxP);
        remote.BeginMove(1, o => o == 1, MaxP);
        local.BeginImport(1);
        local.ImportOwn(0);
        Ship(remote, local, 1);
        local.EndImport();

        Assert.Equal(mine[0].Concat(theirs[1]), result[0]);
    }

    [Fact]
    public void ListsStateSample_HoldsAtMostAFewOfTheFirstRecords_AndLeavesTheStateAlone()
    {
        var parts = new[] { new List<long>(), Enumerable.Range(0, 1000).Select(i => (long)i).ToList() };
        var state = new ListsState<long>(() => parts, _ => throw new InvalidOperationException("a sample changes nothing"), Requirement<long>.Any);
        var sample = state.Sample(MaxP);

        List<long>[] moved = [];
        var receiver = new ListsState<long>(() => [], v => moved = v, Requirement<long>.Any);
        sample.BeginMove(3, _ => true, MaxP);
        receiver.BeginImport(3);
        Ship(sample, receiver, 3);
        receiver.EndImport();

        var all = moved.SelectMany(l => l).ToList();
        Assert.InRange(all.Count, 1, 256);
        Assert.Equal(Enumerable.Range(0, all.Count).Select(i => (long)i), all);
        Assert.Equal(1000, parts[1].Count);
        Assert.Empty(parts[0]);
    }

    [Fact]
    public void ListsStateSample_AtAPosition_PutsTheCopyThereAndNothingElsewhere()
    {
        var parts = new[] { Enumerable.Range(0, 1000).Select(i => (long)i).ToList() };
        var state = new ListsState<long>(() => parts, _ => throw new InvalidOperationException("a sample changes nothing"), Requirement<long>.Any);

        // As a worker holding the third of four old subtasks sees it in a rehearsal with workers that joined.
        var sample = state.Sample(MaxP, 4, 2);
        List<long>[] moved = [];
        var receiver = new ListsState<long>(() => [], v => moved = v, Requirement<long>.Any);
        sample.BeginMove(2, o => o != 2, MaxP);
        receiver.BeginImport(2);
        Ship(sample, receiver, 2);
        receiver.EndImport();
        Assert.Equal(0, moved.Sum(l => l.Count)); // the other old subtasks hold nothing

        sample.BeginMove(2, o => o == 2, MaxP);
        receiver.BeginImport(2);
        Ship(sample, receiver, 2);
        receiver.EndImport();
        Assert.InRange(moved.Sum(l => l.Count), 1, 256);

        // A worker that holds none (a joiner) samples nothing, over as many subtasks.
        var none = state.Sample(MaxP, 4, -1);
        none.BeginMove(2, _ => true, MaxP);
        receiver.BeginImport(2);
        Ship(none, receiver, 2);
        receiver.EndImport();
        Assert.Equal(0, moved.Sum(l => l.Count));
        Assert.Equal(1000, parts[0].Count);
    }

    [Fact]
    public void ListsStateSample_EmptyState_IsEmpty()
    {
        var state = new ListsState<string>(() => [[], []], _ => { }, Requirement<string>.Any);
        var sample = state.Sample(MaxP);
        sample.BeginMove(2, _ => true, MaxP);
        var w = new ByteWriter();
        int cursor = 0;
        Assert.True(sample.WritePiece(0, ref cursor, w));
    }

    private static KeyGroupedIndex<long, double> Index(IEnumerable<long> keys)
    {
        var index = new KeyGroupedIndex<long, double>(MaxP);
        foreach (long k in keys) index.Put(k, k * 0.5);
        return index;
    }

    [Fact]
    public void KeyedState_ShippedInPieces_HoldsEveryKeyInItsNewSubtask()
    {
        const int from = 2, to = 3;
        var keys = Enumerable.Range(0, 5000).Select(i => (long)i).ToList();
        // Old subtask o holds the keys of its key-group range.
        var old = Enumerable.Range(0, from).Select(o => (IKeyGroupedState?)Index(keys.Where(k =>
            KeyGroups.SubtaskOf(KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP), from, MaxP) == o))).ToArray();
        IKeyGroupedState[] received = [];
        var sender = new KeyedState(() => old, _ => { }, () => new KeyGroupedIndex<long, double>(MaxP));
        var receiver = new KeyedState(() => [], v => received = v, () => new KeyGroupedIndex<long, double>(MaxP));
        sender.BeginMove(to, _ => true, MaxP);
        receiver.BeginImport(to);
        Ship(sender, receiver, to);
        receiver.EndImport();

        Assert.Equal(keys.Count, received.Sum(s => ((KeyGroupedIndex<long, double>)s).Count));
        foreach (long k in keys)
        {
            int s = KeyGroups.SubtaskOf(KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP), to, MaxP);
            Assert.True(((KeyGroupedIndex<long, double>)received[s]).TryGetValue(k, out double v), $"key {k} in subtask {s}");
            Assert.Equal(k * 0.5, v);
        }
    }

    /// <summary>Reads <paramref name="snapshotOf"/>'s pieces of every subtask into <paramref name="receiver"/> (as a checkpoint restores them).</summary>
    private static int Restore(MovableState snapshotOf, MovableState receiver, int parallelism)
    {
        int pieces = 0;
        receiver.BeginImport(parallelism);
        for (int s = 0; s < parallelism; s++)
        {
            foreach (var piece in snapshotOf.Snapshot(s, parallelism, MaxP))
            {
                receiver.ImportPiece(s, piece);
                pieces++;
            }
        }
        receiver.EndImport();
        return pieces;
    }

    [Theory]
    [InlineData(3, 10)]
    [InlineData(2, 6000)] // more than two pieces in the subtask that holds records
    [InlineData(2, 0)]
    public void ListsState_Snapshot_ReadsBackTheSameListsAndLeavesTheStateAsItWas(int parallelism, int records)
    {
        var source = Lists(parallelism, records, 400);
        source[0].Clear(); // a subtask that holds nothing
        List<string>[] restored = [];
        var state = new ListsState<string>(() => source, _ => throw new InvalidOperationException("a snapshot changes nothing"), Requirement<string>.Any);
        int pieces = Restore(state, new ListsState<string>(() => [], v => restored = v, Requirement<string>.Any), parallelism);
        Assert.Equal(parallelism, restored.Length);
        for (int s = 0; s < parallelism; s++) Assert.Equal(source[s], restored[s]);
        Assert.True(records < 6000 || pieces > 2, $"{pieces} pieces of about {MovableState.PieceBytes} bytes");
        Assert.Throws<InvalidOperationException>(() => state.Snapshot(0, parallelism + 1, MaxP));
    }

    [Fact]
    public void KeyedState_Snapshot_ReadsBackEveryKeyInItsSubtask()
    {
        const int p = 3;
        var keys = Enumerable.Range(0, 5000).Select(i => (long)i).ToList();
        int SubtaskOf(long k) => KeyGroups.SubtaskOf(KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP), p, MaxP);
        var old = Enumerable.Range(0, p).Select(o => (IKeyGroupedState?)Index(keys.Where(k => SubtaskOf(k) == o))).ToArray();
        old[1] = null; // a subtask without state
        IKeyGroupedState[] restored = [];
        var state = new KeyedState(() => old, _ => throw new InvalidOperationException("a snapshot changes nothing"), () => new KeyGroupedIndex<long, double>(MaxP));
        Restore(state, new KeyedState(() => [], v => restored = v, () => new KeyGroupedIndex<long, double>(MaxP)), p);
        Assert.Equal(p, restored.Length);
        Assert.Equal(0, ((KeyGroupedIndex<long, double>)restored[1]).Count);
        foreach (long k in keys.Where(k => SubtaskOf(k) != 1))
        {
            Assert.True(((KeyGroupedIndex<long, double>)restored[SubtaskOf(k)]).TryGetValue(k, out double v), $"key {k}");
            Assert.Equal(k * 0.5, v);
        }
        Assert.Equal(keys.Count(k => SubtaskOf(k) != 1), restored.Sum(s => ((KeyGroupedIndex<long, double>)s).Count));
    }

    [Fact]
    public void KeyedState_SeveralOldSubtasksStayOnThisWorker_KeepsEveryKeyGroupOfThem()
    {
        // Packed: old subtasks 0 and 1 here, 2 and 3 elsewhere; 4 -> 2, new subtask 0 (key groups 0..63) stays here.
        const int from = 4;
        var keys = Enumerable.Range(0, 4000).Select(i => (long)i).ToList();
        int OldSubtask(long k) => KeyGroups.SubtaskOf(KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP), from, MaxP);
        var old = Enumerable.Range(0, from).Select(o => (IKeyGroupedState?)Index(keys.Where(k => OldSubtask(k) == o))).ToArray();
        IKeyGroupedState[] result = [];
        var state = new KeyedState(() => old, v => result = v, () => new KeyGroupedIndex<long, double>(MaxP));
        state.BeginMove(2, o => o < 2, MaxP);
        state.BeginImport(2);
        state.ImportOwn(0);
        state.EndImport();

        var kept = (KeyGroupedIndex<long, double>)result[0];
        var expected = keys.Where(k => OldSubtask(k) < 2).ToList();
        Assert.Equal(expected.Count, kept.Count);
        foreach (long k in expected) Assert.True(kept.TryGetValue(k, out _), $"key {k} of old subtask {OldSubtask(k)}");
    }

    [Fact]
    public void KeyedStateSample_CopiesOneKeyGroupThatHoldsSomething_AndLeavesTheStateAlone()
    {
        // Subtask 0 of 1 holds a few keys, none of them in key group 0.
        var keys = Enumerable.Range(0, 200).Select(i => (long)i).Where(k => KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP) != 0).Take(5).ToList();
        var index = Index(keys);
        var state = new KeyedState(() => [index], _ => throw new InvalidOperationException("a sample changes nothing"), () => new KeyGroupedIndex<long, double>(MaxP));
        var sample = state.Sample(MaxP);

        IKeyGroupedState[] moved = [];
        var receiver = new KeyedState(() => [], v => moved = v, () => new KeyGroupedIndex<long, double>(MaxP));
        sample.BeginMove(3, _ => true, MaxP);
        receiver.BeginImport(3);
        Ship(sample, receiver, 3);
        receiver.EndImport();

        int copied = moved.Sum(s => ((KeyGroupedIndex<long, double>)s).Count);
        int firstGroup = keys.Select(k => KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP)).Min();
        Assert.Equal(keys.Count(k => KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP) == firstGroup), copied);
        Assert.Equal(keys.Count, index.Count);
    }

    [Fact]
    public void KeyedStateSample_AtAPosition_CopiesTheGroupThereOverAsManySubtasks()
    {
        var keys = Enumerable.Range(0, 200).Select(i => (long)i).ToList();
        var index = Index(keys);
        var state = new KeyedState(() => [index], _ => throw new InvalidOperationException("a sample changes nothing"), () => new KeyGroupedIndex<long, double>(MaxP));
        var sample = state.Sample(MaxP, 3, 1);

        // Only old subtask 1 holds the copy: shipping what old subtasks 0 and 2 hold moves nothing.
        IKeyGroupedState[] moved = [];
        var receiver = new KeyedState(() => [], v => moved = v, () => new KeyGroupedIndex<long, double>(MaxP));
        sample.BeginMove(2, o => o != 1, MaxP);
        receiver.BeginImport(2);
        Ship(sample, receiver, 2);
        receiver.EndImport();
        Assert.Equal(0, moved.Sum(s => ((KeyGroupedIndex<long, double>)s).Count));

        sample.BeginMove(2, o => o == 1, MaxP);
        receiver.BeginImport(2);
        Ship(sample, receiver, 2);
        receiver.EndImport();
        int firstGroup = keys.Select(k => KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP)).Min();
        Assert.Equal(keys.Count(k => KeyGroups.KeyGroupOf(StableHash.Of(k), MaxP) == firstGroup), moved.Sum(s => ((KeyGroupedIndex<long, double>)s).Count));
        Assert.Equal(keys.Count, index.Count);
    }

    [Fact]
    public void KeyedStateSample_NothingHeld_IsEmpty()
    {
        var state = new KeyedState(() => [null, null], _ => { }, () => new KeyGroupedIndex<long, double>(MaxP));
        var sample = state.Sample(MaxP);
        IKeyGroupedState[] moved = [];
        var receiver = new KeyedState(() => [], v => moved = v, () => new KeyGroupedIndex<long, double>(MaxP));
        sample.BeginMove(2, _ => true, MaxP);
        receiver.BeginImport(2);
        Ship(sample, receiver, 2);
        receiver.EndImport();
        Assert.Equal(0, moved.Sum(s => ((KeyGroupedIndex<long, double>)s).Count));
    }
}
