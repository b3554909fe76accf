using System.Diagnostics;
using Dataflow.Operators.Sinks;
using Dataflow.Plan;
using Dataflow.Runtime.Hosting;
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

    /// <summary>Nodes this iteration's initial job computed and kept for its first superstep (<see cref="RunContext.Computed"/>).</summary>
    private readonly List<Node> _computed = new();

    /// <summary>
    /// Runs the job that computes the iteration's initial inputs (<paramref name="sinks"/>, made by <see cref="MaterializeSink"/>),
    /// and keeps in memory, in the same job, every node the step's loop-invariant inputs read as well: the first superstep reads
    /// them from memory instead of computing them again (connected components' deduplicated edges are both where the initial
    /// labels come from and the step's join input; solution and workset from one node are computed once too).
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="scope">The step's scope (which nodes are loop-invariant).</param>
    /// <param name="sinks">Sinks collecting the initial inputs.</param>
    /// <param name="roots">The step's results.</param>
    protected async Task RunInitialAsync(RunContext run, IterationScope scope, IReadOnlyList<Node> sinks, IReadOnlyList<Node> roots)
    {
        var job = new List<Node>(sinks);
        var kept = new List<(Node Node, Node Source)>();
        foreach (var n in ReadByStepAndInitial(sinks, roots, scope))
        {
            var (sink, source) = n.CreateKept();
            job.Add(sink);
            kept.Add((n, source));
        }
        await Env.RunJobAsync(job, run).ConfigureAwait(false);
        foreach (var (n, source) in kept)
        {
            run.Computed[n] = source;
            _computed.Add(n);
        }
    }

    /// <summary>
    /// The nodes both the initial job (under <paramref name="sinks"/>) and the step's loop-invariant inputs compute, where the
    /// step's use of them begins: a loop-invariant node the initial job computes that a node outside the initial job reads.
    /// Sources are left out (they read again what they read).
    /// </summary>
    internal static List<Node> ReadByStepAndInitial(IEnumerable<Node> sinks, IEnumerable<Node> roots, IterationScope scope)
    {
        var initial = new HashSet<Node>();
        var stack = new Stack<Node>(sinks);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!initial.Add(n)) continue;
            foreach (var i in n.Inputs) stack.Push(i);
        }
        var found = new HashSet<Node>();
        var seen = new HashSet<Node>();
        stack = new Stack<Node>(roots);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (!seen.Add(n)) continue;
            bool shared = !scope.IsDynamic(n) && initial.Contains(n);
            foreach (var i in n.Inputs)
            {
                if (!shared && !scope.IsDynamic(i) && initial.Contains(i) && !i.IsSource) found.Add(i);
                stack.Push(i);
            }
        }
        return found.OrderBy(n => n.Id).ToList();
    }

    /// <summary>The nodes kept by the initial job are read by the first superstep only: a recovery or a later wave computes them from their inputs.</summary>
    private void ForgetComputed(RunContext run)
    {
        foreach (var n in _computed) run.Computed.Remove(n);
        _computed.Clear();
    }

    /// <summary>
    /// A sink of the step collecting <paramref name="node"/> into the lists <paramref name="lists"/> gives when its subtasks
    /// start: one sink for every superstep, so the step compiled once runs again (<see cref="IterationScope.CompiledFor"/>).
    /// </summary>
    protected Node StepSink<T>(Node<T> node, Requirement<T> requirement, Func<List<T>[]> lists, IterationScope scope)
    {
        var sink = CollectingSink(node, requirement, lists);
        scope.AddDynamic(sink);
        return sink;
    }

    /// <summary>One empty list per subtask: <paramref name="reuse"/>'s, emptied, when it has <paramref name="parallelism"/> (a warm superstep grows none).</summary>
    protected static List<T>[] EmptyLists<T>(List<T>[]? reuse, int parallelism)
    {
        var lists = reuse is not null && reuse.Length == parallelism ? reuse : new List<T>[parallelism];
        for (int i = 0; i < lists.Length; i++)
        {
            if (lists[i] is { } list) list.Clear();
            else lists[i] = new List<T>();
        }
        return lists;
    }

    /// <summary>A sink collecting <paramref name="node"/> into one new list per subtask of the environment (<paramref name="parts"/>).</summary>
    /// <param name="node">What is collected.</param>
    /// <param name="requirement">How the sink needs it distributed.</param>
    /// <param name="parts">The lists, filled as the job runs.</param>
    protected Node MaterializeSink<T>(Node<T> node, Requirement<T> requirement, out List<T>[] parts)
    {
        var lists = EmptyLists<T>(null, Env.Parallelism);
        parts = lists;
        return CollectingSink(node, requirement, () => lists);
    }

    private OperatorNode<T, T> CollectingSink<T>(Node<T> node, Requirement<T> requirement, Func<List<T>[]> lists) =>
        new(node, $"Materialize({Name})", requirement, (_, info) => new CollectSink<T>(lists()[info.Subtask]));

    /// <summary>Runs supersteps until the synchronizer says terminate.</summary>
    /// <param name="run">The run.</param>
    /// <param name="scope">The step's scope.</param>
    /// <param name="superstep">Runs one superstep: returns the workset size (or null) and whether the termination criterion was empty.</param>
    /// <param name="ownState">The iteration's own state (partial solution, solution set, workset), which moves with a change of parallelism.</param>
    /// <remarks>
    /// Everything that depends on where the program runs — the barrier, shared decisions, moving state
    /// for a new parallelism or placement — is the superstep host's (<see cref="ISuperstepHost"/>):
    /// this loop is the same embedded and on a cluster.
    /// </remarks>
    protected async Task RunSuperstepsAsync(RunContext run, IterationScope scope, Func<int, Task<(long? Workset, long? Criterion)>> superstep,
        Func<IEnumerable<MovableState>> ownState)
    {
        Context.Reset();
        var policy = Env.ElasticityPolicy;
        var host = Env.Host.OpenIteration(new IterationRun(Name, scope.BaseParallelism, Env.Options.MaxParallelism, Env.Options.Slots,
            policy is not null, () => CollectStates(scope, ownState), ProcessMonitor.Metrics));
        var checkpoints = await IterationCheckpoints.OpenAsync(Env, Name, host).ConfigureAwait(false);
        var restored = checkpoints?.Restore(ownState().ToList());
        // A restore or a first rescale may place the subtasks of a cluster job elsewhere than the initial job ran: the kept
        // nodes' partitions stay where they were computed, so the first superstep computes them from their inputs instead.
        if (Env.Host.Mode != HostMode.Embedded && (restored is not null || policy?.FirstParallelism(scope.Parallelism) is { } moved && moved != scope.Parallelism))
        {
            ForgetComputed(run);
        }
        if (restored is not null)
        {
            GoOnFrom(scope, restored);
            var e = new RecoveryEvent(Name, restored.Manifest.Superstep, scope.Parallelism, $"resumed from {Env.Options.ResumeFrom}", restored.Elapsed, restored.Bytes)
            {
                Folder = restored.Folder,
                Duration = restored.Elapsed,
            };
            foreach (var o in Env.ActiveObservers) o.OnRecovery(e);
        }
        else if (policy?.FirstParallelism(scope.Parallelism) is int first && first != scope.Parallelism)
        {
            await RescaleAsync(host, scope, new RescaleRequest(0, scope.Parallelism, first, policy.Name, "the policy's first parallelism")).ConfigureAwait(false);
        }
        var sync = new SuperstepSynchronizer(Name, MaxIterations, scope.Parallelism, Env.ActiveObservers, policy, Env.Options.MaxParallelism, [host.Capacity]);
        if (restored?.Manifest.Policy is { } memory) sync.Restore(memory);
        scope.SubtaskDone = sync.ReportDone;
        var process = Process.GetCurrentProcess();
        bool completed = false;
        try
        {
            int start = scope.FirstSuperstep;
            // A worker that took a lost one's place has replayed the program up to here: it starts with the recovery.
            if (checkpoints is not null && host.PendingRecovery(checkpoints.Run) is { } joined)
            {
                ForgetComputed(run); // every copy forgets them before its first wave: the survivors did after theirs
                start = await RecoverAsync(run, host, scope, sync, checkpoints, ownState, joined, joined.Superstep).ConfigureAwait(false) + 1;
            }
            for (int k = start; ; k++)
            {
                try
                {
                    Context.Superstep = k;
                    scope.Superstep = k;
                    var cpu0 = process.TotalProcessorTime;
                    long t0 = Stopwatch.GetTimestamp();
                    (long? Workset, long? Criterion) result;
                    try
                    {
                        result = await superstep(k).ConfigureAwait(false);
                    }
                    finally
                    {
                        ForgetComputed(run);
                    }
                    var (workset, criterion) = result;
                    var wall = Stopwatch.GetElapsedTime(t0);
                    process.Refresh();
                    double cpu = Math.Clamp((process.TotalProcessorTime - cpu0).TotalSeconds / Math.Max(1e-9, wall.TotalSeconds * Environment.ProcessorCount), 0, 1);

                    var local = Context.Barrier();
                    var barrier = await host.BarrierAsync(new BarrierInput(k, workset, criterion, Context.WriteAggregators(), cpu)).ConfigureAwait(false);
                    var aggregators = barrier.Aggregators is { } parts ? Context.CombineAggregators(parts) : local;
                    bool empty = barrier.Workset == 0 || barrier.Criterion == 0;
                    var answer = sync.Barrier(k, wall, barrier.Workset, aggregators, empty, Context.HasConverged(), barrier.Workers);
                    checkpoints?.Report(Env.ActiveObservers);
                    run.Supersteps++;
                    if (answer.Terminate) break;

                    int next = answer.Parallelism;
                    if (policy is not null)
                    {
                        next = await host.AgreeAsync(next).ConfigureAwait(false);
                        sync.Override(next);
                    }
                    if (next != scope.Parallelism)
                    {
                        await RescaleAsync(host, scope, new RescaleRequest(k, scope.Parallelism, next, policy!.Name, answer.RescaleReason ?? "the submitter's decision")).ConfigureAwait(false);
                    }
                    await host.PlaceAsync(k, scope.Parallelism).ConfigureAwait(false);
                    if (checkpoints?.Due(k) == true)
                    {
                        // After the barrier and any move: the state is whole and where superstep k + 1 reads it.
                        await checkpoints.TakeAsync(k, scope.Parallelism, ownState().ToList(), Context.WriteAggregators(), policy is null ? null : sync.Memory())
                            .ConfigureAwait(false);
                    }
                }
                catch (SuperstepRecoveryException e) when (checkpoints is not null && e.Run == checkpoints.Run)
                {
                    // A worker was lost: every copy goes back to the checkpoint and the loop goes on after it.
                    k = await RecoverAsync(run, host, scope, sync, checkpoints, ownState, e, k).ConfigureAwait(false);
                }
            }
            await host.EndAsync(scope.Parallelism, scope.BaseParallelism).ConfigureAwait(false);
            scope.Parallelism = scope.BaseParallelism;
            completed = true;
        }
        finally
        {
            ForgetComputed(run);
            if (checkpoints is not null) await checkpoints.EndAsync(completed, Env.ActiveObservers).ConfigureAwait(false);
        }
    }

    /// <summary>The iteration goes on after a checkpoint: its state is at the checkpoint's parallelism; its next superstep reads the loop-invariant inputs again.</summary>
    private void GoOnFrom(IterationScope scope, Restored restored)
    {
        scope.Parallelism = restored.Manifest.Parallelism;
        scope.FirstSuperstep = restored.Manifest.Superstep + 1;
        Context.RestoreAggregators(restored.Manifest.Aggregators);
    }

    /// <summary>
    /// Recovers from a lost worker: the host takes up the workers that are left, the state is read back from checkpoint
    /// <see cref="SuperstepRecoveryException.Superstep"/> (each worker its subtasks), the loop-invariant inputs are read
    /// again, and when the survivors have fewer slots than the checkpoint's parallelism, the state moves to as many
    /// subtasks as they have. A loss during the recovery starts it again.
    /// </summary>
    /// <returns>The checkpoint's superstep: the loop goes on with the next one.</returns>
    private async Task<int> RecoverAsync(RunContext run, ISuperstepHost host, IterationScope scope, SuperstepSynchronizer sync, IterationCheckpoints checkpoints,
        Func<IEnumerable<MovableState>> ownState, SuperstepRecoveryException e, int failed)
    {
        int before = scope.Parallelism;
        long t0 = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                if (run.Materialized.Keys.OfType<IIterationOutput>().FirstOrDefault(o => o.Iteration != this && run.Materialized[(Node)o] is not null) is { } held)
                {
                    throw new InvalidOperationException($"{e.Message} It cannot: the job holds the result of iteration '{held.Iteration.Name}' in its workers' memory, and part of it was lost.");
                }
                await host.RecoverAsync(e).ConfigureAwait(false);
                checkpoints.Abandon();
                var restored = checkpoints.RestoreAt(e.Superstep, ownState().ToList());
                scope.Slots.Clear();
                scope.Recordings.Clear();
                GoOnFrom(scope, restored);
                sync.Rewind(restored.Manifest.Policy, scope.Parallelism);
                int slots = host.Capacity.Slots;
                if (scope.Parallelism > slots)
                {
                    await RescaleAsync(host, scope, new RescaleRequest(e.Superstep, scope.Parallelism, slots, "recovery", $"{e.Lost} was lost; the workers left have {slots} slots"))
                        .ConfigureAwait(false);
                    sync.Override(scope.Parallelism);
                }
                var recovery = new RecoveryEvent(Name, e.Superstep, scope.Parallelism, $"lost {e.Lost} ({e.Reason})", restored.Elapsed, restored.Bytes)
                {
                    LostWorker = e.Lost,
                    Replacement = e.Replacement.Length > 0 ? e.Replacement : null,
                    FailedSuperstep = failed,
                    ParallelismBefore = before,
                    Duration = Stopwatch.GetElapsedTime(t0),
                    Folder = restored.Folder,
                };
                foreach (var o in Env.ActiveObservers) o.OnRecovery(recovery);
                return e.Superstep;
            }
            catch (SuperstepRecoveryException again) when (again.Run == e.Run && again.Generation > e.Generation)
            {
                e = again; // lost another worker meanwhile: from the same checkpoint, with the workers left now
            }
        }
    }

    /// <summary>A change of parallelism at a barrier: the host moves the state; the observers get the <c>rescale</c> event.</summary>
    private async Task RescaleAsync(ISuperstepHost host, IterationScope scope, RescaleRequest request)
    {
        var e = await host.RescaleAsync(request).ConfigureAwait(false);
        scope.Parallelism = request.To;
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
