using System.Diagnostics;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Cluster;

/// <summary>
/// Moves iteration state between the worker processes of a cluster job: each worker that held old
/// subtasks sends each worker of new ones its part in pieces, state by state and subtask by subtask,
/// directly over the data planes; the receiver reads each piece in as it arrives, so writing, sending
/// and reading overlap. What stays on a worker changes hands by reference.
/// </summary>
/// <remarks>
/// A worker that has never moved state compiles the move's code (the serializers of the job's record
/// types, the state classes, the transfer) during its first move; on a slow worker that costs more
/// than moving the data. <see cref="RehearseAsync"/> runs the same code earlier on a small copy of the
/// state, sent to the worker itself over its data plane.
/// </remarks>
internal sealed class StateMover(ClusterSession cluster, int maxParallelism)
{
    private static int s_rehearsals;

    /// <summary>Time spent writing pieces and reading them in (of this worker), in stopwatch ticks.</summary>
    public long ExportTicks { get; private set; }

    /// <inheritdoc cref="ExportTicks"/>
    public long ImportTicks { get; private set; }

    /// <summary>
    /// Moves <paramref name="states"/> from subtask o on participant <paramref name="oldHost"/>(o) to subtask s
    /// on <paramref name="newHost"/>(s): this worker's part of it. The states end their import
    /// (<see cref="MovableState.EndImport"/>) when every piece for this worker has been read in.
    /// </summary>
    /// <param name="states">The states, in an order every worker agrees on.</param>
    /// <param name="from">The old parallelism.</param>
    /// <param name="to">The new parallelism.</param>
    /// <param name="oldHost">The participant that holds old subtask o.</param>
    /// <param name="newHost">The participant that hosts new subtask s.</param>
    /// <param name="epoch">Tells this move's pieces from other moves'.</param>
    /// <param name="loopback">Also what stays on this worker goes through the data plane (a rehearsal).</param>
    /// <param name="cancellationToken">Ends the move (a failed job).</param>
    public async Task ExchangeAsync(List<MovableState> states, int from, int to, Func<int, int> oldHost, Func<int, int> newHost, int epoch,
        bool loopback, CancellationToken cancellationToken)
    {
        int self = cluster.Index;
        foreach (var st in states)
        {
            st.BeginMove(to, o => oldHost(o) == self, maxParallelism);
            st.BeginImport(to);
        }
        var senders = Enumerable.Range(0, from).Select(oldHost).Distinct().Order().ToArray();
        var receivers = Enumerable.Range(0, to).Select(newHost).Distinct().Order().ToArray();
        var sources = senders.Append(self).Distinct().Order().ToArray(); // whose parts a new subtask here gets, in order

        // On a thread of its own: a piece of one frame is written by the sending thread, which waits when the receiver holds as
        // many of this worker's pieces as it may (DataPlane.MaxHeldPerStream); no thread-pool thread waits for a receiver.
        Task SendAsync(CancellationToken ct) => senders.Contains(self)
            ? Task.Factory.StartNew(() => Send(ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default)
            : Task.CompletedTask;

        void Send(CancellationToken ct)
        {
            // Two buffers: the next piece is written while the last one is on its way.
            ByteWriter[] buffers = [MoveBuffers.Rent(), MoveBuffers.Rent()];
            Task inFlight = Task.CompletedTask;
            int turn = 0;
            // State by state, each receiver in turn: a receiver reads the states in order, so none waits for this worker's
            // first piece while it sends a large state to another. Each receiver's pieces are numbered in the order it reads them.
            var sequences = receivers.ToDictionary(r => r, _ => 0);
            try
            {
                foreach (var st in states)
                {
                    foreach (int r in receivers)
                    {
                        if (r == self && !loopback) continue;
                        for (int s = 0; s < to; s++)
                        {
                            if (newHost(s) != r) continue;
                            int cursor = 0;
                            bool last;
                            do
                            {
                                var w = buffers[turn++ & 1];
                                w.Clear();
                                w.Write<byte>(0);
                                long t = Stopwatch.GetTimestamp();
                                last = st.WritePiece(s, ref cursor, w);
                                ExportTicks += Stopwatch.GetTimestamp() - t;
                                w.WrittenSpanMutable[0] = last ? (byte)1 : (byte)0;
                                inFlight.GetAwaiter().GetResult(); // the other buffer is free once its piece is sent
                                inFlight = cluster.Moves.SendPieceAsync(r, epoch, sequences[r]++, w.WrittenMemory, ct);
                            }
                            while (!last);
                        }
                    }
                }
                inFlight.GetAwaiter().GetResult();
            }
            finally
            {
                Task.WhenAny(inFlight).GetAwaiter().GetResult(); // its buffer goes back only once it is sent or failed
                foreach (var w in buffers) MoveBuffers.Return(w);
            }
        }

        async Task ReceiveAsync(CancellationToken ct)
        {
            if (!receivers.Contains(self)) return;
            var sequence = sources.ToDictionary(p => p, _ => 0);
            foreach (var st in states)
            {
                for (int s = 0; s < to; s++)
                {
                    if (newHost(s) != self) continue;
                    if (st.AnyOrder && !loopback) Own(st, s);
                    foreach (int p in sources)
                    {
                        if (p == self && !loopback)
                        {
                            if (!st.AnyOrder) Own(st, s);
                            continue;
                        }
                        bool last;
                        do
                        {
                            using var piece = await cluster.Moves.ReceivePieceAsync(p, epoch, sequence[p]++, ct).ConfigureAwait(false);
                            var bytes = piece.Memory;
                            if (bytes.Length == 0) throw new InvalidDataException($"An empty piece of state from participant {p}.");
                            last = bytes.Span[0] == 1;
                            long t = Stopwatch.GetTimestamp();
                            st.ImportPiece(s, bytes[1..]);
                            ImportTicks += Stopwatch.GetTimestamp() - t;
                        }
                        while (!last);
                    }
                }
            }
        }

        void Own(MovableState st, int s)
        {
            long t = Stopwatch.GetTimestamp();
            st.ImportOwn(s);
            ImportTicks += Stopwatch.GetTimestamp() - t;
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Receiving starts first: sends of small pieces complete where they are made, and would otherwise all run before it.
        var receiving = ReceiveAsync(failed.Token);
        var sending = SendAsync(failed.Token);
        // The first failure ends the other side too.
        if (await Task.WhenAny(sending, receiving).ConfigureAwait(false) is { IsFaulted: true } or { IsCanceled: true }) await failed.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(sending, receiving).ConfigureAwait(false);
        foreach (var st in states) st.EndImport();
    }

    /// <summary>
    /// Rehearses a move on samples of <paramref name="states"/> (<see cref="MovableState.Sample"/>): from two
    /// subtasks to three through this worker's own data plane, then back to two in place, so that a real
    /// move runs compiled code. Best effort: a rehearsal that fails is reported on standard error and
    /// changes nothing (the real move reports its own failures).
    /// </summary>
    /// <returns>The time the rehearsal took, and whether it went through.</returns>
    public async Task<(TimeSpan Took, bool Succeeded)> RehearseAsync(IEnumerable<MovableState> states, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        bool succeeded = false;
        try
        {
            MoveBuffers.Prepare();
            PackedPlacement.RehearsePlacement(maxParallelism);
            var samples = states.Select(st => st.Sample(maxParallelism, 2, 0)).ToList();
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(TimeSpan.FromSeconds(30));
            // Rehearsal epochs are negative: real moves count from 1.
            int epoch = -Interlocked.Increment(ref s_rehearsals);
            int self = cluster.Index;
            await ExchangeAsync(samples, 2, 3, _ => self, _ => self, epoch, loopback: true, patience.Token).ConfigureAwait(false);
            await ExchangeAsync(samples, 3, 2, _ => self, _ => self, epoch, loopback: false, patience.Token).ConfigureAwait(false);
            foreach (var st in samples) st.MoveLocal(1, maxParallelism);
            succeeded = true;
        }
#pragma warning disable CA1031 // A rehearsal only compiles code early; whatever fails here fails again, and is reported, in the real move.
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"Rehearsing a move of iteration state failed (the real move compiles its code as it goes): {e.GetType().Name}: {e.Message}").ConfigureAwait(false);
        }
#pragma warning restore CA1031
        ExportTicks = ImportTicks = 0;
        return (Stopwatch.GetElapsedTime(started), succeeded);
    }

    /// <summary>
    /// Rehearses a move with workers that have just joined (<paramref name="joiners"/>): every worker that
    /// holds old subtasks (<paramref name="holders"/>) sends a sample of its state
    /// (<see cref="MovableState.Sample"/>) to the joiners over the connections the real move will use. A joiner's
    /// own rehearsal (before it joined) had no records to sample; this one compiles its per-record code and
    /// opens the connections to it. Every worker of the job calls it at the same point, with the same epoch.
    /// It fails as the real move would (a broken connection, a record that does not serialize): the move would
    /// fail the same way, and the other workers would otherwise wait for pieces that never come.
    /// </summary>
    public async Task RehearseWithJoinersAsync(IEnumerable<MovableState> states, int[] holders, int[] joiners, int epoch, CancellationToken cancellationToken)
    {
        MoveBuffers.Prepare();
        int at = Array.IndexOf(holders, cluster.Index);
        var samples = states.Select(st => st.Sample(maxParallelism, holders.Length, at)).ToList();
        try
        {
            await ExchangeAsync(samples, holders.Length, joiners.Length, o => holders[o], s => joiners[s], epoch, loopback: false, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExportTicks = ImportTicks = 0;
        }
    }
}

/// <summary>
/// Send buffers for the pieces of moves between processes (a few megabytes each), kept for the next
/// move: fresh buffers every time cost page faults and copies as they grow.
/// </summary>
internal static class MoveBuffers
{
    private static readonly System.Collections.Concurrent.ConcurrentBag<ByteWriter> s_free = new();

    private const int KeepAtMost = 4;
    private static int s_piecesTouched;
    private const int LargestKept = 64 << 20;

    /// <summary>A buffer that holds a piece without growing (a piece ends once it holds <see cref="MovableState.PieceBytes"/>: a little more).</summary>
    private const int Capacity = MovableState.PieceBytes + (MovableState.PieceBytes >> 3);

    public static ByteWriter Rent() => s_free.TryTake(out var w) ? w : new ByteWriter(Capacity);

    /// <summary>
    /// Allocates what a move's pieces need before the move: two send buffers here, and in the shared array
    /// pool the receive buffers of the pieces that two senders may have held at once
    /// (<see cref="DataPlane.MaxHeldPerStream"/> each, and one arriving), their pages touched: fresh memory
    /// costs page faults, which a slow worker pays in full.
    /// </summary>
    public static void Prepare()
    {
        while (s_free.Count < 2)
        {
            var w = new ByteWriter(Capacity);
            w.GetSpan(Capacity).Fill(0);
            s_free.Add(w);
        }
        if (Interlocked.Exchange(ref s_piecesTouched, 1) == 1) return; // the pool keeps them
        var pieces = new byte[2 * (DataPlane.MaxHeldPerStream + 1)][];
        for (int i = 0; i < pieces.Length; i++)
        {
            pieces[i] = System.Buffers.ArrayPool<byte>.Shared.Rent(Capacity);
            pieces[i].AsSpan().Clear();
        }
        foreach (var piece in pieces) System.Buffers.ArrayPool<byte>.Shared.Return(piece);
    }

    /// <summary>Keeps a few buffers of moderate size for the next move; larger or surplus ones go to the garbage collector.</summary>
    public static void Return(ByteWriter writer)
    {
        if (writer.Capacity > LargestKept || s_free.Count >= KeepAtMost) return;
        writer.Clear();
        s_free.Add(writer);
    }
}
