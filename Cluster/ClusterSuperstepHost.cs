using System.Diagnostics;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Hosting;

namespace Dataflow.Cluster;

/// <summary>
/// The superstep protocol between the processes of a cluster job: the barrier through the
/// coordinator, the submitter's decisions shared with every copy, and changes of parallelism and
/// placement that stream the iteration's state worker to worker (<see cref="StateMover"/>),
/// acquiring and releasing workers on the way.
/// </summary>
internal sealed class ClusterSuperstepHost : ISuperstepHost
{
    private readonly ClusterSession _cluster;
    private readonly IterationRun _run;

    // Where the base parallelism's subtasks ran on entry: what reads the result expects its data there.
    private readonly int[] _entryHosts;
    private readonly string[] _entryWorkers;

    /// <summary>This copy of the program has rehearsed a move already (a standby while it followed the job).</summary>
    private bool _moveRehearsed;

    public ClusterSuperstepHost(ClusterSession cluster, IterationRun run)
    {
        _cluster = cluster;
        _run = run;
        _entryHosts = cluster.HostsOf(run.BaseParallelism);
        _entryWorkers = _entryHosts.Select(h => cluster.Participants[h].Id).ToArray();
    }

    /// <summary>What the policies may use: the job's workers' slots, or as many as it may acquire.</summary>
    public WorkerInfo Capacity
    {
        get
        {
            int slots = _cluster.ActiveWorkers.Sum(w => _cluster.Participants[w].Slots);
            if (_cluster.MaxWorkers > 0) slots = Math.Max(slots, _cluster.MaxWorkers * _cluster.SlotsPerWorker);
            return new WorkerInfo("cluster", slots);
        }
    }

    private bool MayMove => _run.Rescales || _cluster.Placement.Policy.Length > 0;

    public async Task<BarrierOutcome> BarrierAsync(BarrierInput local)
    {
        // After the first superstep (state is there to sample), workers rehearse a move; its time is reported with the superstep's worker statistics.
        var rehearsal = local.Superstep == 1 ? await RehearseMoveAsync(_run.States()).ConfigureAwait(false) : (TimeSpan.Zero, true);
        // The global barrier: every participant's counts and aggregator values, combined the same way everywhere.
        var reports = await _cluster.BarrierAsync(_run.Name, local.Superstep, local.Workset ?? 0, local.Criterion ?? 0, local.Aggregators,
            new WorkerStatistics(_cluster.Self, local.Cpu, Environment.WorkingSet) { Metrics = WorkerMetrics(rehearsal) }).ConfigureAwait(false);
        var workers = reports.Where(r => r.Participant > 0).Select(r => new WorkerStatistics(r.Worker, r.Cpu, r.MemoryBytes)
        {
            Metrics = r.MetricNames.Zip(r.MetricValues).ToDictionary(x => x.First, x => x.Second),
        }).ToArray();
        return new BarrierOutcome(local.Workset is null ? null : reports.Sum(r => r.Workset), local.Criterion is null ? null : reports.Sum(r => r.Criterion),
            reports.Select(r => r.Aggregators).ToList(), workers);
    }

    // Every copy of the program consulted its policy; the submitter's decision holds for all.
    public Task<int> AgreeAsync(int value) => SharedValue.ShareAsync(_cluster.IsSubmitter, _cluster.ShareAsync, value);

    public async Task<RescaleEvent> RescaleAsync(RescaleRequest request)
    {
        var (move, acquire, joinRehearsal, joined, released) = await MoveToAsync(_run.States().ToList(), request.From, request.To).ConfigureAwait(false);
        return new RescaleEvent(_run.Name, request.Superstep, request.From, request.To, request.Policy, request.Reason, move)
        {
            Acquire = acquire, JoinRehearsal = joinRehearsal, Joined = joined, Released = released, Workers = _cluster.Workers,
            JoinedFromStandby = joined.Length > 0 ? [.. _cluster.JoinedFromStandby] : [],
            Phases = _cluster.IsSubmitter ? _cluster.Moves.LastMovePhases : [],
        };
    }

    public async Task PlaceAsync(int superstep, int parallelism)
    {
        if (_cluster.Placement.Policy.Length == 0) return;
        // The placement policy is consulted at every barrier; key groups move with their subtasks.
        int[] hosts = _cluster.IsSubmitter ? await _cluster.ReplaceAsync(superstep, parallelism).ConfigureAwait(false) : [];
        hosts = await SharedValue.ShareAsync(_cluster.IsSubmitter, _cluster.ShareAsync, hosts).ConfigureAwait(false);
        var now = _cluster.HostsOf(parallelism);
        if (!hosts.SequenceEqual(now))
        {
            await MoveAsync(_run.States().ToList(), parallelism, parallelism, s => now[s], s => hosts[s], () => _cluster.SetHosts(parallelism, hosts)).ConfigureAwait(false);
        }
    }

    public async Task EndAsync(int parallelism, int baseParallelism)
    {
        _cluster.LeaveLoop();
        if (parallelism != baseParallelism)
        {
            // What reads the result runs at the iteration's base parallelism (on the workers the job holds now: none are acquired for it),
            // straight back on the workers it ran on before the iteration if the job still holds them.
            int[]? back = EntryWorkersHeld() ? _entryHosts : null;
            await MoveToAsync(_run.States().ToList(), parallelism, baseParallelism, acquire: false, target: back).ConfigureAwait(false);
        }
        // ... and on the workers it ran on before the iteration if the job still holds them (placement may have moved it):
        // other data of that parallelism is there.
        int p = baseParallelism;
        var now = _cluster.HostsOf(p);
        if (!now.SequenceEqual(_entryHosts) && EntryWorkersHeld())
        {
            await MoveAsync(_run.States().ToList(), p, p, s => now[s], s => _entryHosts[s], () => _cluster.SetHosts(p, _entryHosts)).ConfigureAwait(false);
        }
        // The result stays on these workers until the program ends; the others may go.
        _cluster.Hold(_cluster.HostsOf(p));
        await _cluster.ReleaseIdleAsync([]).ConfigureAwait(false);
    }

    // A copy that replays what happened before it joined holds nothing (and writes nothing).
    public bool Holds(int parallelism, int subtask) => !_cluster.IsReplaying && _cluster.HostOf(parallelism, subtask) == _cluster.Index;

    // Every copy places alike (the parallelism the state was at before the checkpoint keeps its placement).
    public void PlaceRestored(int parallelism) => _cluster.Pin(parallelism, null, _run.MaxParallelism);

    public Func<IReadOnlyList<Runtime.Iterations.Checkpoints.CheckpointFile>, Task<IReadOnlyList<Runtime.Iterations.Checkpoints.CheckpointFile>?>> BeginCheckpoint(int run, int superstep)
    {
        if (!_cluster.IsSubmitter)
        {
            bool replaying = _cluster.IsReplaying;
            int generation = _cluster.Generation;
            return async files =>
            {
                if (!replaying) await _cluster.ReportCheckpointAsync(run, superstep, generation, files).ConfigureAwait(false);
                return null;
            };
        }
        // The workers of the job at this barrier write the files; the submitter, which holds no state, writes the manifest.
        var workers = _cluster.ActiveWorkers.ToArray();
        // A recovery voids it (the lost worker never reports): the wait ends with this generation.
        var interrupted = _cluster.Replies.Interrupted;
        return async _ =>
        {
            try
            {
                return await _cluster.GatherCheckpointAsync(run, superstep, workers).WaitAsync(interrupted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cluster.Replies.Pending is { } recovery)
            {
                throw JobReplies.Copy(recovery); // what the loop (waiting for this write at its next checkpoint) recovers from
            }
        };
    }

    public Task CommittedAsync(int run, int superstep) =>
        _cluster.IsSubmitter ? _cluster.Control.SendAsync(new Recoverable(_cluster.Job, run, superstep, _cluster.Generation)) : Task.CompletedTask;

    public SuperstepRecoveryException? PendingRecovery(int run) => _cluster.PendingRecovery(run);

    public Task RecoverAsync(SuperstepRecoveryException recovery)
    {
        _cluster.TakeUp(recovery);
        return Task.CompletedTask;
    }

    /// <summary>
    /// This process's metrics for the barrier, with the time a move rehearsal took (<c>move_rehearsal_ms</c>) and the
    /// garbage collector's gen0 budget (<c>gc_gen0_budget_bytes</c>) when there was one, and <c>move_rehearsal_failed</c> = 1 when it did not go through (its reason is on standard error).
    /// </summary>
    private Dictionary<string, double> WorkerMetrics((TimeSpan Took, bool Succeeded) rehearsal)
    {
        var metrics = _run.Metrics();
        if (rehearsal.Took > TimeSpan.Zero)
        {
            metrics["move_rehearsal_ms"] = rehearsal.Took.TotalMilliseconds;
            // The largest gen0 budget, which moves depend on: workers that `run` or `./dataflow worker` started get 64 MiB
            // (DOTNET_GCgen0size); by default it starts at a few MiB.
            metrics["gc_gen0_budget_bytes"] = GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var gen0) ? Convert.ToDouble(gen0, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        }
        if (!rehearsal.Succeeded) metrics["move_rehearsal_failed"] = 1;
        return metrics;
    }

    /// <summary>Whether the positions the iteration's subtasks ran on when it started still hold the same workers.</summary>
    private bool EntryWorkersHeld() =>
        _entryHosts.All(h => h < _cluster.Participants.Count && !_cluster.Participants[h].IsVacant()) &&
        _entryHosts.Select(h => _cluster.Participants[h].Id).SequenceEqual(_entryWorkers);

    /// <summary>
    /// Moves <paramref name="states"/> from <paramref name="from"/> to <paramref name="to"/> subtasks between the job's workers,
    /// acquiring workers first when the job may (<paramref name="acquire"/>) and releasing those left without subtasks after.
    /// </summary>
    /// <returns>The time the move took, the time acquiring took (with the rehearsal with the workers that joined, also given alone), the workers that joined and those released.</returns>
    private async Task<(TimeSpan Move, TimeSpan Acquire, TimeSpan JoinRehearsal, string[] Joined, string[] Released)> MoveToAsync(List<MovableState> states, int from, int to,
        bool acquire = true, int[]? target = null)
    {
        long t0 = Stopwatch.GetTimestamp();
        var old = _cluster.HostsOf(from);
        // A worker that joins compiles the move's code before it says it has: acquiring it takes that time, not the move.
        int[] joiners = acquire ? await _cluster.EnsureWorkersAsync(to, () => _moveRehearsed ? Task.CompletedTask : RehearseMoveAsync(states)).ConfigureAwait(false) : [];
        var joined = joiners.Select(i => _cluster.Participants[i].Id).ToArray();
        var rehearsal = joiners.Length > 0 ? await RehearseWithJoinersAsync(states, old, joiners).ConfigureAwait(false) : TimeSpan.Zero;
        var acquiring = Stopwatch.GetElapsedTime(t0);
        long t1 = Stopwatch.GetTimestamp();
        if (target is not null) _cluster.SetHosts(to, target);
        else _cluster.Pin(to, old, _run.MaxParallelism);
        var next = _cluster.HostsOf(to);
        await MoveAsync(states, from, to, o => old[o], s => next[s], () => { }).ConfigureAwait(false);
        var move = Stopwatch.GetElapsedTime(t1);
        var released = await _cluster.ReleaseIdleAsync(next).ConfigureAwait(false);
        return (move, acquiring, rehearsal, joined, released);
    }

    /// <summary>
    /// After workers joined for a move, before it: every worker that holds old subtasks sends a sample of its
    /// state to the joiners (<see cref="StateMover.RehearseWithJoinersAsync"/>), numbered like a move so that
    /// every copy of the program (replaying ones too) agrees on the epochs; the submitter waits for the workers.
    /// It is part of acquiring the workers: a worker that joined is ready once it has received real records.
    /// </summary>
    private async Task<TimeSpan> RehearseWithJoinersAsync(List<MovableState> states, int[] old, int[] joiners)
    {
        long t0 = Stopwatch.GetTimestamp();
        int epoch = _cluster.Moves.BeginMove();
        // In replay nothing runs here; the value shared below comes from the log.
        if (_cluster.IsSubmitter && !_cluster.IsReplaying)
        {
            await _cluster.Moves.WaitMovedAsync(epoch).ConfigureAwait(false);
        }
        else if (!_cluster.IsReplaying)
        {
            var holders = old.Distinct().Order().ToArray();
            var mover = new StateMover(_cluster, _run.MaxParallelism);
            await _cluster.Moves.RunMoveAsync(ct => mover.RehearseWithJoinersAsync(states, holders, joiners, epoch, ct)).ConfigureAwait(false);
            await _cluster.Moves.ReportMovedAsync().ConfigureAwait(false);
        }
        // No worker starts the move before every worker is done rehearsing (the submitter says so once they all reported):
        // the move's time, measured in the submitter from here, then holds all of it.
        await AgreeAsync(epoch).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(t0);
    }

    /// <summary>
    /// Moves <paramref name="states"/> between the job's workers: from subtask o on <paramref name="oldHost"/>(o) to
    /// subtask s on <paramref name="newHost"/>(s), streamed worker to worker (<see cref="StateMover"/>); every copy
    /// of the program at the same point. The workers report the time their part took; the submitter waits for them.
    /// </summary>
    private async Task MoveAsync(List<MovableState> states, int from, int to, Func<int, int> oldHost, Func<int, int> newHost, Action placed)
    {
        int maxP = _run.MaxParallelism;
        int epoch = _cluster.Moves.BeginMove();
        if (_cluster.IsReplaying || _cluster.IsSubmitter)
        {
            // The submitter holds no iteration state, nor did a worker that joined later (replaying this move):
            // their (empty) state takes the new shape; the submitter waits for the workers.
            foreach (var st in states) st.MoveLocal(to, maxP);
            if (_cluster.IsSubmitter && !_cluster.IsReplaying) await _cluster.Moves.WaitMovedAsync(epoch).ConfigureAwait(false);
            placed();
            return;
        }
        long started = Stopwatch.GetTimestamp();
        var mover = new StateMover(_cluster, maxP);
        await _cluster.Moves.RunMoveAsync(ct => mover.ExchangeAsync(states, from, to, oldHost, newHost, epoch, loopback: false, ct)).ConfigureAwait(false);
        placed();
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        await _cluster.Moves.ReportMovedAsync(Ms(mover.ExportTicks), Stopwatch.GetElapsedTime(started).TotalMilliseconds, Ms(mover.ImportTicks)).ConfigureAwait(false);
    }

    /// <summary>
    /// On a worker of a job whose iterations may move state between processes (a policy that rescales or
    /// places), rehearses a move on a sample of the state (<see cref="StateMover.RehearseAsync"/>) so that real
    /// moves run compiled code. A standby that follows the job rehearses while it replays the first superstep.
    /// </summary>
    /// <returns>The time it took (zero where nothing was rehearsed), and whether it went through.</returns>
    private async Task<(TimeSpan Took, bool Succeeded)> RehearseMoveAsync(IEnumerable<MovableState> states)
    {
        if (_cluster.IsSubmitter || (_cluster.IsReplaying && !_cluster.IsFollowing) || !MayMove) return (TimeSpan.Zero, true);
        var result = await new StateMover(_cluster, _run.MaxParallelism).RehearseAsync(states, CancellationToken.None).ConfigureAwait(false);
        _moveRehearsed |= result.Succeeded;
        return result;
    }
}
