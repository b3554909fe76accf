using System.Net;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Cluster;

/// <summary>Ends a worker's copy of the program when the job released the worker (it holds nothing the job needs).</summary>
public sealed class WorkerReleasedException(int job, string worker) : Exception($"Worker {worker} was released from job {job}.");

/// <summary>
/// One process's part in a cluster job (docs/architecture.md §7): every participant — the submitter and each
/// worker — runs the job's program, which builds the same plans in the same order. Each job graph
/// the program runs is a <em>step</em>: the participants agree on its fingerprint, run their
/// subtasks (user-visible sinks on the submitter, everything else spread over the workers), and end
/// it together; iteration barriers and values the program derives from results (collect, count)
/// go through the coordinator the same way, so every copy of the program takes the same path.
/// </summary>
public sealed partial class ClusterSession
{

    private readonly ControlChannel _control;
    private readonly DataPlane _data;
    private readonly JobRoster _roster;
    private readonly string _self;
    private int _joinSequence;
    private readonly int _followAfter;
    private readonly HashSet<int> _holding = new();
    private int _acquisitions;
    private int _barrier;
    private readonly JobReplies _replies = new();
    private readonly int _credits;
    private int _step;
    private int _share;

    /// <summary>Creates the session of a participant.</summary>
    /// <param name="start">The job as the coordinator announced it.</param>
    /// <param name="control">The connection to the coordinator.</param>
    /// <param name="data">This process's data plane.</param>
    /// <param name="credits">Batches a sender may have in flight per channel.</param>
    public ClusterSession(StartJob start, ControlChannel control, DataPlane data, int credits = 32)
    {
        Job = start.Job;
        Program = Path.GetFileNameWithoutExtension(start.Entry);
        Index = start.Index;
        Parallelism = start.Parallelism;
        MaxWorkers = start.MaxWorkers;
        _joinSequence = start.JoinSequence;
        _followAfter = start.FollowAfter;
        _self = start.Self.Length > 0 ? start.Self : start.Participants[start.Index].Id;
        _control = control;
        _data = data;
        _credits = credits;
        _roster = new JobRoster(start.Participants);
        Moves = new SessionMoves(this);
        data.Broken += OnDataBroken;
    }

    private void OnDataBroken(int job, string reason)
    {
        // A peer's data connection to this process ended mid-step: fail the job everywhere (a lost worker, if that is the cause, is named instead).
        if (job == Job && _replies.Failure is null && _replies.Pending is null) _ = _control.TrySendAsync(new StepFailed(Job, _step, $"{reason} (on {Self})", true));
    }

    /// <summary>Stops listening to the data plane (the job is over here).</summary>
    public void Detach() => _data.Broken -= OnDataBroken;

    /// <summary>The job id.</summary>
    public int Job { get; }

    /// <summary>The program's name (its entry assembly's file name without extension).</summary>
    public string Program { get; }

    /// <summary>This participant's index (0: the submitter; -1: a standby that follows the job and has no position yet).</summary>
    public int Index { get; private set; }

    /// <summary>True in a standby that follows the job (replaying it as it goes) until a roster gives it a position.</summary>
    public bool IsFollowing => _joinSequence == StartJob.Follow;

    /// <summary>True in the submitting process: it hosts the result sinks and tells the observers.</summary>
    public bool IsSubmitter => Index == 0;

    /// <summary>This participant's id (worker id, or <c>submitter</c>).</summary>
    public string Self => _self;

    /// <summary>The submitter (index 0) and the workers' positions (vacant ones: <see cref="Participant.IsVacant"/>).</summary>
    public IReadOnlyList<Participant> Participants => _roster.Participants;

    /// <summary>The positions of the job's workers now (ascending; vacant positions left out).</summary>
    public IReadOnlyList<int> ActiveWorkers => _roster.ActiveWorkers;

    /// <summary>The number of workers the job has now.</summary>
    public int Workers => ActiveWorkers.Count;

    /// <summary>
    /// The most workers the job may hold (0: it keeps the workers it started with). With a maximum,
    /// a rescale acquires workers through the coordinator's resource provider, subtasks are packed
    /// onto as few workers as their slots allow, and workers left without subtasks are released.
    /// </summary>
    public int MaxWorkers { get; }

    /// <summary>True when this copy joined the running job and is still replaying what happened before it joined: it runs nothing and sends nothing.</summary>
    public bool IsReplaying => _acquisitions < _joinSequence;

    /// <summary>The slots of each of the job's workers (they are alike).</summary>
    public int SlotsPerWorker => _roster.SlotsPerWorker;

    internal IPEndPoint EndpointOf(int position) =>
        // A following standby (no position yet) reaches only itself: it rehearses a move through its own data plane.
        position < 0 && position == Index ? _data.EndPoint
        : _roster.EndpointOf(position, Job);

    /// <summary>The default parallelism (the workers' slots).</summary>
    public int Parallelism { get; }

    /// <summary>Signalled when the job fails anywhere.</summary>
    public CancellationToken Failed => _replies.Failed;

    /// <summary>Participant index of subtask <paramref name="subtask"/> of <paramref name="vertex"/>.</summary>
    public int HostOf(JobVertex vertex, int subtask) => vertex.IsResultSink ? 0 : HostOf(vertex.Parallelism, subtask);

    private readonly SubtaskHosts _hosts = new();

    /// <summary>Participant index of subtask <paramref name="subtask"/> at <paramref name="parallelism"/> (state-holding vertices).</summary>
    public int HostOf(int parallelism, int subtask) => _hosts.HostOf(parallelism, subtask, ActiveWorkers);

    /// <summary>
    /// Fixes where the subtasks of <paramref name="parallelism"/> run before iteration state moves to them
    /// (a rescale at a barrier); every participant computes the same (<see cref="SubtaskHosts.Pin(int, int[], int, IReadOnlyList{int}, int, bool, Func{int, bool})"/>).
    /// </summary>
    /// <param name="parallelism">The subtasks to place.</param>
    /// <param name="from">Where the subtasks of the parallelism the state moves from run (participant per subtask), if it moves.</param>
    /// <param name="maxParallelism">The number of key groups.</param>
    public void Pin(int parallelism, int[]? from = null, int maxParallelism = KeyGroups.DefaultMaxParallelism) =>
        _hosts.Pin(parallelism, from, maxParallelism, ActiveWorkers, SlotsPerWorker, packed: MaxWorkers > 0, isVacant: _roster.IsVacant);

    /// <summary>
    /// Before state moves to <paramref name="parallelism"/> subtasks (every copy of the program at the
    /// same point): when the job may hold more workers (<see cref="MaxWorkers"/>) and its workers' slots
    /// are fewer than the subtasks, the submitter asks the coordinator for more; every copy waits for
    /// the new roster. A worker joining here replays the job up to this point and then takes part.
    /// </summary>
    /// <param name="parallelism">The subtasks the state moves to.</param>
    /// <param name="beforeJoined">Run by a joining copy once it has caught up, before it says so (e.g. to compile what the move runs).</param>
    /// <returns>The positions (in <see cref="Participants"/>, ascending) of the workers that joined (empty when none had to).</returns>
    public async Task<int[]> EnsureWorkersAsync(int parallelism, Func<Task>? beforeJoined = null)
    {
        if (MaxWorkers <= 0) return [];
        ThrowIfFailed();
        var active = ActiveWorkers;
        int slots = SlotsPerWorker;
        int need = Math.Min(MaxWorkers, (parallelism + slots - 1) / slots);
        if (need <= active.Count) return [];
        int sequence = ++_acquisitions;
        var roster = Await(Reply.Roster, sequence);
        if (IsSubmitter) await _control.SendAsync(new AcquireWorkers(Job, sequence, need - active.Count)).ConfigureAwait(false);
        var received = (Roster)await roster.ConfigureAwait(false);
        var next = received.Participants;
        JoinedFromStandby = received.FromStandby ?? [];
        var joined = _roster.Adopt(next);
        if (IsFollowing && sequence > _followAfter && joined.FirstOrDefault(i => next[i].Id == _self) is var position and > 0)
        {
            // A following standby was taken: it has replayed everything up to here and takes part from now on.
            Index = position;
            _joinSequence = sequence;
        }
        // A joining copy has caught up: the others get the roster (and go on) once every joiner said so.
        if (sequence == _joinSequence)
        {
            try
            {
                if (beforeJoined is not null) await beforeJoined().ConfigureAwait(false);
            }
            finally
            {
                // The others wait for this: it goes out whatever the preparation did.
                await _control.SendAsync(new Joined(Job, sequence)).ConfigureAwait(false);
            }
        }
        return joined;
    }

    /// <summary>The ids of the workers that joined in the last acquisition after following the job as standbys (<see cref="IsFollowing"/>).</summary>
    public IReadOnlyList<string> JoinedFromStandby { get; private set; } = [];

    /// <summary>
    /// After state moved (every copy at the same point): when the job releases workers
    /// (<see cref="MaxWorkers"/>), the workers that host none of <paramref name="keep"/> and hold no
    /// result the program still reads leave the job; the submitter tells the coordinator, which
    /// releases them through its resource provider. A released copy ends here
    /// (<see cref="WorkerReleasedException"/>).
    /// </summary>
    /// <returns>The ids of the released workers.</returns>
    /// <exception cref="WorkerReleasedException">This worker was released.</exception>
    public async Task<string[]> ReleaseIdleAsync(IEnumerable<int> keep)
    {
        if (MaxWorkers <= 0) return [];
        ThrowIfFailed();
        var busy = keep.Concat(_holding).ToHashSet();
        var idle = ActiveWorkers.Where(i => !busy.Contains(i)).ToArray();
        if (idle.Length == 0 || idle.Length == Workers) return [];
        var ids = _roster.Vacate(idle);
        _hosts.Forget(idle);
        if (IsSubmitter) await _control.SendAsync(new ReleaseWorkers(Job, idle)).ConfigureAwait(false);
        if (!IsReplaying && idle.Contains(Index))
        {
            Released = true;
            throw new WorkerReleasedException(Job, Self);
        }
        return ids;
    }

    /// <summary>True once this worker was released from the job (its copy of the program ends).</summary>
    public bool Released { get; private set; }

    /// <summary>Marks the workers of <paramref name="positions"/> as holding data the program still reads (an iteration's result): they are not released.</summary>
    public void Hold(IEnumerable<int> positions)
    {
        foreach (int p in positions) _holding.Add(p);
    }

    /// <summary>The participant index of every subtask at <paramref name="parallelism"/>.</summary>
    public int[] HostsOf(int parallelism) => Enumerable.Range(0, parallelism).Select(s => HostOf(parallelism, s)).ToArray();

    /// <summary>Sets where the subtasks of <paramref name="parallelism"/> run from now on (after their state moved there).</summary>
    public void SetHosts(int parallelism, int[] hosts) => _hosts.Set(parallelism, hosts);

    /// <summary>
    /// At a superstep barrier (submitter only): asks the coordinator's placement policy where the
    /// subtasks of <paramref name="parallelism"/> should run next, given where they are; returns the
    /// participant index of each (and tells the observers).
    /// </summary>
    public async Task<int[]> ReplaceAsync(int superstep, int parallelism)
    {
        ThrowIfFailed();
        var current = HostsOf(parallelism).Select(i => Participants[i].Id).ToArray();
        var reply = Await(Reply.Place, superstep);
        await _control.SendAsync(new PlaceRequest(Job, superstep, parallelism, current)).ConfigureAwait(false);
        var decision = ((PlaceReply)await reply.ConfigureAwait(false)).Decision;
        Placed?.Invoke(_step, superstep, decision);
        return decision.Workers.Select(w => Participants.Select((p, i) => (p, i)).First(x => x.p.Id == w).i).ToArray();
    }


    /// <summary>The placement policy and load predictor the program chose (names; empty for the defaults), sent with its steps.</summary>
    public (string Policy, string Predictor) Placement { get; set; } = ("", "");

    /// <summary>Raised (in the submitter) for every placement decision of the job, with the step it came with.</summary>
    public event Action<int, int, PlacementDecision>? Placed;

    private void ApplyPlacement(int step, PlacementDecision[] decisions)
    {
        foreach (var d in decisions)
        {
            var hosts = d.Workers.Select(w => Participants.Select((p, i) => (p, i)).First(x => x.p.Id == w).i).ToArray();
            _hosts.Placed(d.Parallelism, hosts);
            Placed?.Invoke(step, 0, d);
        }
    }

    /// <summary>Runs this participant's subtasks of <paramref name="graph"/> as the next step; returns the statistics of all subtasks.</summary>
    /// <remarks>
    /// The subtasks' done reports (<paramref name="subtaskDone"/>) are those every participant sent the
    /// coordinator in its <see cref="StepDone"/>, in the order it relayed them, so every copy of the
    /// program hears the same reports.
    /// </remarks>
    /// <exception cref="ClusterJobException">The step failed elsewhere, or a worker was lost.</exception>
    public async Task<JobExecutionResult> RunStepAsync(JobGraph graph, LocalExecutor executor, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken)
    {
        ThrowIfFailed();
        int step = ++_step;
        if (IsReplaying)
        {
            // Joining a running job: this step ran before this worker joined; take its outcome from the log.
            var go = (StepGo)await Await(Reply.Go, step).WaitAsync(cancellationToken).ConfigureAwait(false);
            ApplyPlacement(step, go.Decisions);
            var completed = (StepComplete)await Await(Reply.Complete, step).WaitAsync(cancellationToken).ConfigureAwait(false);
            Report(completed.Tasks, subtaskDone);
            return new JobExecutionResult(TimeSpan.Zero, completed.Tasks);
        }
        string description = graph.Vertices.Count == 0 ? "" : graph.Vertices[^1].Name;
        var site = new Site(this, step, PlanFingerprint.Of(graph), description);
        using var link = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _replies.Failed, _replies.Interrupted);
        JobExecutionResult local;
        try
        {
            local = await executor.ExecuteAsync(graph, site, null, link.Token).ConfigureAwait(false);
        }
        catch (Exception) when (_replies.Failure is not null)
        {
            _data.Unregister(Job, step);
            throw new ClusterJobException(_replies.Failure!);
        }
        catch (Exception) when (_replies.Pending is { } recovery)
        {
            // A worker was lost and the job recovers: this step's work is void, nothing to report.
            _data.Unregister(Job, step);
            throw JobReplies.Copy(recovery);
        }
        catch (Exception e)
        {
            _data.Unregister(Job, step);
            bool transport = IsTransport(e);
            string message = e is OperationCanceledException ? $"The job was cancelled (on {Self})." : $"{e.Message} (on {Self})";
            await _control.TrySendAsync(new StepFailed(Job, step, message, transport)).ConfigureAwait(false);
            if (transport) await AwaitVerdictAsync().ConfigureAwait(false);
            throw;
        }
        try
        {
            var done = Await(Reply.Complete, step);
            await _control.SendAsync(new StepDone(Job, step, local.Tasks.Select(t => t with { Worker = Self }).ToArray())).ConfigureAwait(false);
            var complete = (StepComplete)await done.ConfigureAwait(false);
            Report(complete.Tasks, subtaskDone);
            return new JobExecutionResult(local.Duration, complete.Tasks);
        }
        finally
        {
            _data.Unregister(Job, step);
        }
    }

    private static void Report(TaskStatistics[] tasks, Action<TaskStatistics>? subtaskDone)
    {
        if (subtaskDone is null) return;
        foreach (var t in tasks) subtaskDone(t);
    }

    /// <summary>
    /// The iteration barrier: reports this participant's share (workset and criterion counts,
    /// aggregator partials) and returns every participant's, in participant order.
    /// </summary>
    public async Task<BarrierReport[]> BarrierAsync(string iteration, int superstep, long workset, long criterion, byte[] aggregators,
        WorkerStatistics worker)
    {
        ThrowIfFailed();
        int sequence = ++_barrier;
        var release = Await(Reply.Barrier, sequence);
        if (!IsReplaying)
        {
            var metrics = worker.Metrics ?? new Dictionary<string, double>();
            await _control.SendAsync(new BarrierReport(Job, sequence, iteration, superstep, Index, workset, criterion, aggregators, Self, worker.Cpu, worker.MemoryBytes,
                metrics.Keys.ToArray(), metrics.Values.ToArray()))
                .ConfigureAwait(false);
        }
        return ((BarrierRelease)await release.ConfigureAwait(false)).Reports;
    }

    /// <summary>
    /// Makes every copy of the program see the submitter's value: the submitter passes it and gets
    /// it back, the workers pass null and receive it.
    /// </summary>
    public async Task<byte[]> ShareAsync(byte[]? value)
    {
        ThrowIfFailed();
        int sequence = ++_share;
        if (IsSubmitter)
        {
            ArgumentNullException.ThrowIfNull(value);
            await _control.SendAsync(new Share(Job, sequence, value)).ConfigureAwait(false);
            return value;
        }
        return ((Share)await Await(Reply.Share, sequence).ConfigureAwait(false)).Data;
    }

    /// <summary>Delivers a message from the coordinator addressed to this job.</summary>
    public void Deliver(ControlMessage message)
    {
        switch (message)
        {
            case StepGo m: Complete(Reply.Go, m.Step, m); break;
            case StepComplete m: Complete(Reply.Complete, m.Step, m); break;
            case BarrierRelease m: Complete(Reply.Barrier, m.Sequence, m); break;
            case Roster m: Complete(Reply.Roster, m.Sequence, m); break;
            case Share m: Complete(Reply.Share, m.Sequence, m); break;
            case PlaceReply m: Complete(Reply.Place, m.Superstep, m); break;
            case MoveDone m: Complete(Reply.Moved, m.Epoch, m, m.From); break;
            case CheckpointWritten m when m.Generation == _generation: Complete(Reply.Checkpointed, CheckpointKey(m.Run, m.Superstep), m, m.From); break;
            case CheckpointWritten: break; // written before a recovery: that checkpoint is void
            case Recover m:
                bool interrupt;
                lock (_recoveries)
                {
                    _recoveries[m.Generation] = m;
                    // A copy that replays the job takes the recovery up when it reaches the iteration's loop (PendingRecovery),
                    // or here when it is in that loop already.
                    interrupt = m.Generation > _generation && (!IsReplaying || _loopRun == m.Run);
                }
                if (interrupt) _replies.Interrupt(RecoveryOf(m));
                break;
            case JobFailed m: Fail(m.Message); break;
            case JobEnded: Fail("The job ended on the submitter."); break;
            default: throw new Transport.ProtocolException($"Unexpected {message.GetType().Name} for job {Job}.");
        }
    }

    /// <summary>Whether <paramref name="e"/> (or what caused it) is a broken or refused connection: usually a lost worker.</summary>
    private static bool IsTransport(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is IOException or System.Net.Sockets.SocketException) return true;
        }
        return false;
    }

    /// <summary>
    /// After a broken connection (reported as a transport failure): a lost worker is usually the cause, and the coordinator
    /// either fails the job or recovers it (its heartbeat verdict comes within seconds); throws what it decided. When it
    /// decides nothing in time, the caller's own error stands.
    /// </summary>
    internal async Task AwaitVerdictAsync()
    {
        await Task.WhenAny(_replies.Decided, Task.Delay(TimeSpan.FromSeconds(15))).ConfigureAwait(false);
        _replies.ThrowIfInterrupted();
        if (_replies.Failure is { } f) throw new ClusterJobException(f);
    }

    /// <summary>
    /// In a copy that replays the job (a replacement that took a lost worker's place, a worker that joined later, a standby
    /// that follows): the newest recovery it has not taken up, when iteration run <paramref name="run"/> is the one that went
    /// back to a checkpoint (the supersteps before the recovery are void: the replay goes on after it); null otherwise.
    /// </summary>
    internal Runtime.Iterations.SuperstepRecoveryException? PendingRecovery(int run)
    {
        Recover? newest;
        lock (_recoveries)
        {
            // From here on a Recover of this run interrupts this copy even while it replays (it may arrive after this check).
            _loopRun = run;
            if (!IsReplaying) return null;
            newest = _recoveries.Values.Where(r => r.Generation > _generation).MaxBy(r => r.Generation);
        }
        return newest is not null && newest.Run == run ? RecoveryOf(newest) : null;
    }

    private static Runtime.Iterations.SuperstepRecoveryException RecoveryOf(Recover m) => new(m.Generation, m.Run, m.Superstep, m.Lost, m.Reason, m.Replacement);

    /// <summary>The recovery this copy has taken up last (0: none).</summary>
    public int Generation => _generation;

    private int _generation;
    private readonly Dictionary<int, Recover> _recoveries = new();
    private int _loopRun;

    /// <summary>The iteration run's loop has ended here: a recovery of it no longer interrupts a replaying copy.</summary>
    internal void LeaveLoop()
    {
        lock (_recoveries) _loopRun = 0;
    }

    /// <summary>
    /// Takes up <paramref name="recovery"/> (every copy, having caught it): the lost workers' positions are vacant, where
    /// the subtasks of every parallelism that ran there go is decided again, the protocol is numbered from the
    /// recovery's base, and data of steps before it is dropped.
    /// </summary>
    internal void TakeUp(Runtime.Iterations.SuperstepRecoveryException recovery)
    {
        Recover m;
        lock (_recoveries) m = _recoveries[recovery.Generation];
        // The roster after the loss: the lost positions vacant or held by their replacements; what ran there is placed again.
        var old = _roster.Participants;
        var changed = Enumerable.Range(1, Math.Max(old.Count, m.Roster.Length) - 1)
            .Where(i => i >= old.Count || i >= m.Roster.Length || old[i].Id != m.Roster[i].Id).ToArray();
        _roster.Adopt(m.Roster);
        // Placements made in supersteps a replacement did not replay differ between copies: every copy starts afresh
        // (the restore pins the checkpoint's parallelism; the coordinator places the others again).
        _hosts.Clear();
        foreach (int p in changed) _holding.Remove(p);
        _generation = recovery.Generation;
        // Numbers never go back, so late replies of before cannot be taken for new ones.
        int @base = Recover.Base(recovery.Generation);
        _step = @base;
        _barrier = @base;
        _share = @base;
        // A replacement (joined at the base) has replayed the job up to here and takes part from now on; a worker that
        // joins later, or follows, goes on replaying.
        if (_acquisitions < @base) _acquisitions = @base;
        Moves.Restart(@base);
        _data.FinishStepsUpTo(Job, @base);
        _replies.Resume(recovery.Generation, @base);
    }

    /// <summary>True once the job failed here.</summary>
    public bool IsFailed => _replies.Failure is not null;

    /// <summary>Fails the job everywhere with <paramref name="message"/>: the coordinator is told (and tells every participant), then it fails here.</summary>
    public void FailEverywhere(string message)
    {
        if (!IsFailed) _ = _control.TrySendAsync(new StepFailed(Job, _step, message, Transport: false));
        Fail(message);
    }

    /// <summary>
    /// A worker reports its files of the checkpoint after <paramref name="superstep"/> of iteration run <paramref name="run"/>
    /// (to the submitter, through the coordinator).
    /// </summary>
    internal Task ReportCheckpointAsync(int run, int superstep, int generation, IReadOnlyList<Runtime.Iterations.Checkpoints.CheckpointFile> files) =>
        _control.SendAsync(new CheckpointWritten(Job, run, superstep, Index, files.Select(f => f.State).ToArray(), files.Select(f => f.Subtask).ToArray(),
            files.Select(f => f.Bytes).ToArray(), files.Select(f => f.Hash).ToArray(), generation));

    /// <summary>In the submitter: waits for the files of that checkpoint from each of <paramref name="workers"/> (positions).</summary>
    internal async Task<List<Runtime.Iterations.Checkpoints.CheckpointFile>> GatherCheckpointAsync(int run, int superstep, IReadOnlyList<int> workers)
    {
        var waits = workers.Select(p => Await(Reply.Checkpointed, CheckpointKey(run, superstep), p)).ToList();
        var all = new List<Runtime.Iterations.Checkpoints.CheckpointFile>();
        foreach (var wait in waits)
        {
            var m = (CheckpointWritten)await wait.ConfigureAwait(false);
            for (int i = 0; i < m.States.Length; i++) all.Add(new(m.States[i], m.Subtasks[i], m.Bytes[i], m.Hashes[i]));
        }
        return all;
    }

    // One number per checkpoint of the job: iteration runs and supersteps both stay far below these bounds.
    private static int CheckpointKey(int run, int superstep) => (run << 20) | superstep;

    /// <summary>This copy's side of the moves of iteration state between workers.</summary>
    public SessionMoves Moves { get; }

    internal ControlChannel Control => _control;

    internal DataPlane Data => _data;

    internal JobReplies Replies => _replies;

    internal int Step => _step;

    /// <summary>Fails the job here: every wait ends with <see cref="ClusterJobException"/> and the running step is aborted.</summary>
    public void Fail(string message) => _replies.Fail(message);

    internal void ThrowIfFailed()
    {
        if (Released) throw new WorkerReleasedException(Job, Self);
        if (_replies.Failure is { } f) throw new ClusterJobException(f);
        _replies.ThrowIfInterrupted();
    }

    private Task<ControlMessage> Await(Reply kind, int sequence, int from = 0) => _replies.Await(kind, sequence, from);

    private void Complete(Reply kind, int sequence, ControlMessage message, int from = 0) => _replies.Complete(kind, sequence, message, from);
}
