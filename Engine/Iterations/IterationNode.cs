using System.Diagnostics;
using Dataflow.Operators.Sinks;
using Dataflow.Plan;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Serialization;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Iterations;

/// <summary>
/// The driver of one iteration in a plan. Its result is read by a source node
/// (<see cref="Output"/>); before a job that reads it runs, the iteration runs as a sequence of
/// supersteps, each a job over the step's operators with the iteration's state held in memory
/// between them, partitioned per subtask (and, for keyed state, per key group).
/// </summary>
/// <remarks>
/// A superstep runs as one wave of subtask threads that ends at the barrier: the superstep is done
/// when every head's subtasks have ended, which is exactly when the synchronizer may change the
/// parallelism and placement of the next wave without touching running threads. Loop-invariant
/// inputs run only in the first wave (see <see cref="JobCompiler"/>).
/// </remarks>
internal abstract class IterationNode
{
    protected IterationNode(DataflowEnvironment env, string name, int maxIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
        Env = env;
        Name = name;
        MaxIterations = maxIterations;
        Context = new IterationContext(name);
    }

    public DataflowEnvironment Env { get; }

    public string Name { get; }

    public int MaxIterations { get; }

    public IterationContext Context { get; }

    /// <summary>The source node that reads the iteration's result.</summary>
    public abstract Node Output { get; }

    /// <summary>The iterations whose results the job under <paramref name="sinks"/> reads and that have not run yet in <paramref name="run"/>.</summary>
    public static IEnumerable<IterationNode> Pending(IReadOnlyList<Node> sinks, RunContext run)
    {
        var seen = new HashSet<Node>();
        var stack = new Stack<Node>(sinks);
        var found = new List<IterationNode>();
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            if (n is IIterationOutput o)
            {
                if (!run.Materialized.ContainsKey(n)) found.Add(o.Iteration);
                continue;
            }
            foreach (var i in n.Inputs) stack.Push(i);
        }
        return found.Distinct();
    }

    public abstract Task ExecuteAsync(RunContext run);

    /// <summary>Runs a job that collects <paramref name="node"/> into one list per subtask of the iteration.</summary>
    protected async Task<List<T>[]> MaterializeAsync<T>(Node<T> node, Requirement<T> requirement, RunContext run, IterationScope? scope)
    {
        var sink = MaterializeSink(node, requirement, out var parts);
        scope?.AddDynamic(sink);
        await Env.RunJobAsync([sink], run, scope).ConfigureAwait(false);
        return parts;
    }

    protected Node MaterializeSink<T>(Node<T> node, Requirement<T> requirement, out List<T>[] parts, int? parallelism = null)
    {
        var lists = new List<T>[parallelism ?? Env.Parallelism];
        for (int i = 0; i < lists.Length; i++) lists[i] = new List<T>();
        parts = lists;
        return new OperatorNode<T, T>(node, $"Materialize({Name})", requirement,
            (_, info) => new CollectSink<T>(lists[info.Subtask]));
    }

    /// <summary>Runs supersteps until the synchronizer says terminate.</summary>
    /// <param name="run">The run.</param>
    /// <param name="scope">The step's scope.</param>
    /// <param name="superstep">Runs one superstep: returns the workset size (or null) and whether the termination criterion was empty.</param>
    /// <param name="ownState">The iteration's own state (partial solution, solution set, workset), which moves with a change of parallelism.</param>
    protected async Task RunSuperstepsAsync(RunContext run, IterationScope scope, Func<int, Task<(long? Workset, long? Criterion)>> superstep,
        Func<IEnumerable<MovableState>> ownState)
    {
        Context.Reset();
        var policy = Env.ElasticityPolicy;
        // Where the base parallelism's subtasks ran on entry: what reads the result expects its data there.
        var entryHosts = Env.Cluster?.HostsOf(scope.BaseParallelism);
        var entryWorkers = entryHosts?.Select(h => Env.Cluster!.Participants[h].Id).ToArray();
        if (policy is Elasticity.Policies.FixedPolicy fixedPolicy && fixedPolicy.InitialParallelism != scope.Parallelism)
        {
            // A fixed schedule names the first superstep's parallelism too.
            await RescaleAsync(scope, 0, fixedPolicy.InitialParallelism, policy.Name, "the fixed schedule's first parallelism", ownState).ConfigureAwait(false);
        }
        var sync = new SuperstepSynchronizer(Name, MaxIterations, scope.Parallelism, Env.ActiveObservers, policy, Env.Options.MaxParallelism,
            [ClusterCapacity() ?? new Runtime.Extensibility.WorkerInfo("local", Env.Options.Slots)]);
        var process = Process.GetCurrentProcess();
        for (int k = 1; ; k++)
        {
            Context.Superstep = k;
            scope.Superstep = k;
            int jobsBefore = run.Jobs.Count;
            var cpu0 = process.TotalProcessorTime;
            long t0 = Stopwatch.GetTimestamp();
            var (workset, criterion) = await superstep(k).ConfigureAwait(false);
            var wall = Stopwatch.GetElapsedTime(t0);
            process.Refresh();
            double cpu = Math.Clamp((process.TotalProcessorTime - cpu0).TotalSeconds / Math.Max(1e-9, wall.TotalSeconds * Environment.ProcessorCount), 0, 1);
            // After the first superstep (state is there to sample), workers rehearse a move; its time is reported with the superstep's worker statistics.
            var rehearsal = k == 1 ? await RehearseMoveAsync(CollectStates(scope, ownState)).ConfigureAwait(false) : (TimeSpan.Zero, true);
            var tasks = run.Jobs.Skip(jobsBefore).SelectMany(j => j.Tasks).ToList();
            // Every head of the step reports done; in one process all heads of a wave end together.
            for (int s = 0; s < sync.Parallelism; s++)
            {
                sync.ReportDone(new SuperstepDone(s, s == 0 ? tasks : []));
            }
            var aggregators = Context.Barrier();
            WorkerStatistics[] workers;
            if (Env.Cluster is { } cluster)
            {
                // The global barrier: every participant's counts and aggregator values, combined the same way everywhere.
                var reports = await cluster.BarrierAsync(Name, k, workset ?? 0, criterion ?? 0, Context.WriteAggregators(),
                    new WorkerStatistics(cluster.Self, cpu, System.Environment.WorkingSet) { Metrics = WorkerMetrics(rehearsal) }).ConfigureAwait(false);
                if (workset is not null) workset = reports.Sum(r => r.Workset);
                if (criterion is not null) criterion = reports.Sum(r => r.Criterion);
                aggregators = Context.CombineAggregators(reports.Select(r => r.Aggregators));
                workers = reports.Where(r => r.Participant > 0).Select(r => new WorkerStatistics(r.Worker, r.Cpu, r.MemoryBytes)
                {
                    Metrics = r.MetricNames.Zip(r.MetricValues).ToDictionary(x => x.First, x => x.Second),
                }).ToArray();
            }
            else
            {
                workers = [new WorkerStatistics("local", cpu, System.Environment.WorkingSet) { Metrics = ProcessMonitor.Metrics() }];
            }
            bool converged = Context.HasConverged();
            bool empty = workset == 0 || criterion == 0;
            var answer = sync.Barrier(k, wall, workset, aggregators, empty, converged, workers);
            run.Supersteps++;
            if (answer.Terminate) break;
            int next = answer.Parallelism;
            if (policy is not null && Env.Cluster is not null)
            {
                // Every copy of the program consulted its policy; the submitter's decision holds for all.
                next = await Env.ShareAsync(next).ConfigureAwait(false);
                sync.Override(next);
            }
            if (next != scope.Parallelism)
            {
                await RescaleAsync(scope, k, next, policy!.Name, answer.RescaleReason ?? "the submitter's decision", ownState).ConfigureAwait(false);
            }
            if (Env.Cluster is { } placed && placed.Placement.Policy.Length > 0)
            {
                // The placement policy is consulted at every barrier; key groups move with their subtasks.
                int p = scope.Parallelism;
                int[] hosts = placed.IsSubmitter ? await placed.ReplaceAsync(k, p).ConfigureAwait(false) : [];
                hosts = await Env.ShareAsync(hosts).ConfigureAwait(false);
                var now = placed.HostsOf(p);
                if (!hosts.SequenceEqual(now))
                {
                    await MoveAsync(CollectStates(scope, ownState), p, p, s => now[s], s => hosts[s], () => placed.SetHosts(p, hosts)).ConfigureAwait(false);
                }
            }
        }
        if (scope.Parallelism != scope.BaseParallelism)
        {
            // What reads the result runs at the iteration's base parallelism (on the workers the job holds now: none are acquired for it),
            // straight back on the workers it ran on before the iteration if the job still holds them (see below).
            int[]? back = Env.Cluster is { } home && entryHosts is not null && EntryWorkersHeld(home, entryHosts, entryWorkers!) ? entryHosts : null;
            await MoveToAsync(ownState().ToList(), scope.Parallelism, scope.BaseParallelism, acquire: false, target: back).ConfigureAwait(false);
            scope.Parallelism = scope.BaseParallelism;
        }
        if (Env.Cluster is { } c && entryHosts is not null)
        {
            // ... and on the workers it ran on before the iteration if the job still holds them (placement may have moved it):
            // other data of that parallelism is there.
            int p = scope.BaseParallelism;
            var now = c.HostsOf(p);
            if (!now.SequenceEqual(entryHosts) && EntryWorkersHeld(c, entryHosts, entryWorkers!))
            {
                await MoveAsync(ownState().ToList(), p, p, s => now[s], s => entryHosts[s], () => c.SetHosts(p, entryHosts)).ConfigureAwait(false);
            }
            // The result stays on these workers until the program ends; the others may go.
            c.Hold(c.HostsOf(p));
            await c.ReleaseIdleAsync([]).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// This process's metrics for the barrier, with the time a move rehearsal took (<c>move_rehearsal_ms</c>) and the
    /// garbage collector's gen0 budget (<c>gc_gen0_budget_bytes</c>) when there was one, and <c>move_rehearsal_failed</c> = 1 when it did not go through (its reason is on standard error).
    /// </summary>
    private static Dictionary<string, double> WorkerMetrics((TimeSpan Took, bool Succeeded) rehearsal)
    {
        var metrics = ProcessMonitor.Metrics();
        if (rehearsal.Took > TimeSpan.Zero)
        {
            metrics["move_rehearsal_ms"] = rehearsal.Took.TotalMilliseconds;
            // The garbage collector's largest gen0 budget, which moves depend on: 64 MiB from the start on workers that `run` or
            // `./dataflow worker` started (DOTNET_GCgen0size); by default it starts at a few MiB and may grow to about 50.
            metrics["gc_gen0_budget_bytes"] = GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var gen0) ? Convert.ToDouble(gen0, System.Globalization.CultureInfo.InvariantCulture) : double.NaN;
        }
        if (!rehearsal.Succeeded) metrics["move_rehearsal_failed"] = 1;
        return metrics;
    }

    /// <summary>Whether the positions the iteration's subtasks ran on when it started still hold the same workers.</summary>
    private static bool EntryWorkersHeld(Runtime.Cluster.ClusterSession cluster, int[] hosts, string[] workers) =>
        hosts.All(h => h < cluster.Participants.Count && !cluster.Participants[h].IsVacant()) && hosts.Select(h => cluster.Participants[h].Id).SequenceEqual(workers);

    /// <summary>What the policies may use on a cluster: the job's workers' slots, or as many as it may acquire.</summary>
    private Runtime.Extensibility.WorkerInfo? ClusterCapacity()
    {
        if (Env.Cluster is not { } cluster) return null;
        int slots = cluster.ActiveWorkers.Sum(w => cluster.Participants[w].Slots);
        if (cluster.MaxWorkers > 0) slots = Math.Max(slots, cluster.MaxWorkers * cluster.SlotsPerWorker);
        return new Runtime.Extensibility.WorkerInfo("cluster", slots);
    }

    /// <summary>
    /// Carries out a change of parallelism at a barrier: the iteration's own state, the cached
    /// loop-invariant indexes (whole key groups change hands) and the recorded loop-invariant inputs
    /// move to the new subtasks before the next superstep; the observers get a <c>rescale</c> event
    /// with the time the move took (and, on a cluster that acquires and releases workers, the time
    /// acquiring took and who joined and left).
    /// </summary>
    private async Task RescaleAsync(IterationScope scope, int superstep, int to, string policy, string reason, Func<IEnumerable<MovableState>> ownState)
    {
        int from = scope.Parallelism;
        if (to == from) return;
        var (move, acquire, joinRehearsal, joined, released) = await MoveToAsync(CollectStates(scope, ownState), from, to).ConfigureAwait(false);
        scope.Parallelism = to;
        var e = new RescaleEvent(Name, superstep, from, to, policy, reason, move)
        {
            Acquire = acquire, JoinRehearsal = joinRehearsal, Joined = joined, Released = released, Workers = Env.Cluster?.Workers ?? 0,
            JoinedFromStandby = joined.Length > 0 && Env.Cluster is { } cluster ? [.. cluster.JoinedFromStandby] : [],
            Phases = Env.Cluster is { IsSubmitter: true } c ? c.LastMovePhases : [],
        };
        foreach (var o in Env.ActiveObservers) o.OnRescale(e);
    }

    /// <summary>The iteration's own state, then the cached loop-invariant indexes and recorded inputs, in an order every process agrees on.</summary>
    private List<MovableState> CollectStates(IterationScope scope, Func<IEnumerable<MovableState>> ownState)
    {
        int maxP = Env.Options.MaxParallelism;
        var states = ownState().ToList();
        foreach (var key in scope.Slots.Keys.OrderBy(k => k.Consumer.Id).ThenBy(k => k.Input).ToList())
        {
            states.Add(new KeyedState(() => scope.Slots[key].Select(slot => slot.Value as Operators.Core.IKeyGroupedState).ToArray(),
                v => scope.Slots[key] = v.Select(x => new Operators.Core.StateSlot { Value = x }).ToArray(),
                () => key.Consumer.CreateCachedState(maxP)
                    ?? throw new InvalidOperationException($"The cached state of {key.Consumer.Name} cannot be moved between subtasks.")));
        }
        foreach (var key in scope.Recordings.Keys.OrderBy(k => k.Consumer.Id).ThenBy(k => k.Input).ToList())
        {
            states.Add(key.Consumer.MoverOfRecording(key.Input, () => scope.Recordings[key], v => scope.Recordings[key] = v));
        }
        return states;
    }

    /// <summary>
    /// Moves <paramref name="states"/> from <paramref name="from"/> to <paramref name="to"/> subtasks: in this process,
    /// or between the job's workers — acquiring workers first when the job may (<paramref name="acquire"/>) and
    /// releasing those left without subtasks after.
    /// </summary>
    /// <returns>The time the move took, the time acquiring took (with the rehearsal with the workers that joined, also given alone), the workers that joined and those released.</returns>
    /// <param name="states">The states to move.</param>
    /// <param name="from">The parallelism they have.</param>
    /// <param name="to">The parallelism they get.</param>
    /// <param name="acquire">Whether workers may be acquired for it.</param>
    /// <param name="target">Where the new subtasks go (participant per subtask), if not where placement puts them.</param>
    private async Task<(TimeSpan Move, TimeSpan Acquire, TimeSpan JoinRehearsal, string[] Joined, string[] Released)> MoveToAsync(List<MovableState> states, int from, int to,
        bool acquire = true, int[]? target = null)
    {
        long t0 = Stopwatch.GetTimestamp();
        if (Env.Cluster is not { } cluster)
        {
            foreach (var st in states) st.MoveLocal(to, Env.Options.MaxParallelism);
            return (Stopwatch.GetElapsedTime(t0), TimeSpan.Zero, TimeSpan.Zero, [], []);
        }
        var old = cluster.HostsOf(from);
        // A worker that joins compiles the move's code before it says it has: acquiring it takes that time, not the move.
        int[] joiners = acquire ? await cluster.EnsureWorkersAsync(to, () => _moveRehearsed ? Task.CompletedTask : RehearseMoveAsync(states)).ConfigureAwait(false) : [];
        var joined = joiners.Select(i => cluster.Participants[i].Id).ToArray();
        var rehearsal = joiners.Length > 0 ? await RehearseWithJoinersAsync(states, old, joiners).ConfigureAwait(false) : TimeSpan.Zero;
        var acquiring = Stopwatch.GetElapsedTime(t0);
        long t1 = Stopwatch.GetTimestamp();
        if (target is not null) cluster.SetHosts(to, target);
        else cluster.Pin(to, old, Env.Options.MaxParallelism);
        var next = cluster.HostsOf(to);
        await MoveAsync(states, from, to, o => old[o], s => next[s], () => { }).ConfigureAwait(false);
        var move = Stopwatch.GetElapsedTime(t1);
        var released = await cluster.ReleaseIdleAsync(next).ConfigureAwait(false);
        return (move, acquiring, rehearsal, joined, released);
    }

    /// <summary>
    /// After workers joined for a move, before it: every worker that holds old subtasks sends a sample of its
    /// state to the joiners (<see cref="StateMover.RehearseWithJoinersAsync"/>), numbered like a move so that
    /// every copy of the program (replaying ones too) agrees on the epochs; the submitter waits for the workers.
    /// It is part of acquiring the workers: a worker that joined is ready once it has received real records.
    /// </summary>
    /// <returns>The time it took (in the submitter: until every worker was done).</returns>
    private async Task<TimeSpan> RehearseWithJoinersAsync(List<MovableState> states, int[] old, int[] joiners)
    {
        var cluster = Env.Cluster!;
        long t0 = Stopwatch.GetTimestamp();
        int epoch = cluster.BeginMove();
        // In replay nothing runs here; the value shared below comes from the log.
        if (cluster.IsSubmitter && !cluster.IsReplaying)
        {
            await cluster.WaitMovedAsync(epoch).ConfigureAwait(false);
        }
        else if (!cluster.IsReplaying)
        {
            var holders = old.Distinct().Order().ToArray();
            var mover = new StateMover(cluster, Env.Options.MaxParallelism);
            await cluster.RunMoveAsync(ct => mover.RehearseWithJoinersAsync(states, holders, joiners, epoch, ct)).ConfigureAwait(false);
            await cluster.ReportMovedAsync().ConfigureAwait(false);
        }
        // No worker starts the move before every worker is done rehearsing (the submitter says so once they all reported):
        // the move's time, measured in the submitter from here, then holds all of it.
        await Env.ShareAsync(epoch).ConfigureAwait(false);
        return Stopwatch.GetElapsedTime(t0);
    }

    /// <summary>
    /// Moves <paramref name="states"/> between the job's workers: from subtask o on <paramref name="oldHost"/>(o) to
    /// subtask s on <paramref name="newHost"/>(s), streamed worker to worker (<see cref="StateMover"/>); every copy
    /// of the program at the same point. The workers report the time their part took; the submitter waits for them.
    /// </summary>
    private async Task MoveAsync(List<MovableState> states, int from, int to, Func<int, int> oldHost, Func<int, int> newHost, Action placed)
    {
        var cluster = Env.Cluster!;
        int maxP = Env.Options.MaxParallelism;
        int epoch = cluster.BeginMove();
        if (cluster.IsReplaying || cluster.IsSubmitter)
        {
            // The submitter holds no iteration state, nor did a worker that joined later (replaying this move):
            // their (empty) state takes the new shape; the submitter waits for the workers.
            foreach (var st in states) st.MoveLocal(to, maxP);
            if (cluster.IsSubmitter && !cluster.IsReplaying) await cluster.WaitMovedAsync(epoch).ConfigureAwait(false);
            placed();
            return;
        }
        long started = Stopwatch.GetTimestamp();
        var mover = new StateMover(cluster, maxP);
        await cluster.RunMoveAsync(ct => mover.ExchangeAsync(states, from, to, oldHost, newHost, epoch, loopback: false, ct)).ConfigureAwait(false);
        placed();
        static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        await cluster.ReportMovedAsync(Ms(mover.ExportTicks), Stopwatch.GetElapsedTime(started).TotalMilliseconds, Ms(mover.ImportTicks)).ConfigureAwait(false);
    }

    /// <summary>
    /// On a worker of a cluster job whose iterations may move state between processes (a policy that
    /// rescales or places), rehearses a move on a sample of the state (<see cref="StateMover.RehearseAsync"/>)
    /// so that real moves run compiled code.
    /// </summary>
    /// <returns>The time it took (zero where nothing was rehearsed), and whether it went through.</returns>
    /// <remarks>
    /// A standby that follows the job (<see cref="Runtime.Cluster.ClusterSession.IsFollowing"/>) rehearses while it replays the first
    /// superstep (it holds no state yet, like a worker that joins), so that taking it does not wait for that.
    /// </remarks>
    private async Task<(TimeSpan Took, bool Succeeded)> RehearseMoveAsync(IEnumerable<MovableState> states)
    {
        if (Env.Cluster is not { IsSubmitter: false } cluster || (cluster.IsReplaying && !cluster.IsFollowing)) return (TimeSpan.Zero, true);
        if (Env.ElasticityPolicy is null && cluster.Placement.Policy.Length == 0) return (TimeSpan.Zero, true);
        var result = await new StateMover(cluster, Env.Options.MaxParallelism).RehearseAsync(states, CancellationToken.None).ConfigureAwait(false);
        _moveRehearsed |= result.Succeeded;
        return result;
    }

    /// <summary>This copy of the program has rehearsed a move already (a standby while it followed the job).</summary>
    private bool _moveRehearsed;

}

/// <summary>A node that reads an iteration's result.</summary>
internal interface IIterationOutput
{
    IterationNode Iteration { get; }
}

/// <summary>The source that emits, per subtask, the result an iteration left in the run.</summary>
internal sealed class IterationResultNode<T>(IterationNode iteration, Delegate? partitionedBy = null)
    : SourceNode<T>(iteration.Env, $"IterationResult({iteration.Name})", iteration.Env.Parallelism), IIterationOutput
{
    public IterationNode Iteration => iteration;

    public override Delegate? PartitionedBy => partitionedBy;

    protected override Runtime.Execution.SubtaskBody Create(Runtime.Execution.SubtaskContext context, Runtime.Records.Collector<T> downstream, RunContext run) =>
        new Operators.Sources.PartitionSource<T>(((List<T>[])run.Materialized[this])[context.Subtask], context, downstream, Name);
}
