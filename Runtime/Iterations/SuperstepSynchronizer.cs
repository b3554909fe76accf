using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Iterations;

/// <summary>Why an iteration ends, or null to go on.</summary>
public enum TerminationReason
{
    /// <summary>The iteration goes on.</summary>
    None,

    /// <summary>The maximum number of supersteps ran.</summary>
    MaxIterations,

    /// <summary>The workset (delta iteration) or termination criterion (bulk) was empty.</summary>
    Empty,

    /// <summary>The convergence criterion held.</summary>
    Converged,
}

/// <summary>The synchronizer's answer to the heads at a barrier.</summary>
/// <param name="Terminate">True to end the iteration.</param>
/// <param name="Reason">Why it ends (or <see cref="TerminationReason.None"/>).</param>
/// <param name="Parallelism">The parallelism of the next superstep.</param>
public sealed record BarrierAnswer(bool Terminate, TerminationReason Reason, int Parallelism)
{
    /// <summary>The policy's reason when the parallelism changes.</summary>
    public string? RescaleReason { get; init; }

    /// <summary>The previous parallelism when it changes.</summary>
    public int? RescaleFrom { get; init; }
}

/// <summary>
/// The iteration synchronizer of docs/architecture.md §5 (after Flink's IterationSynchronizationSinkTask):
/// collects <em>superstep done</em> from every head, then, at the barrier, evaluates termination,
/// notifies the observers, consults the elasticity policy, and answers <em>next</em> (with the new
/// parallelism) or <em>terminate</em>. The barrier is the one point where parallelism may change.
/// </summary>
public sealed class SuperstepSynchronizer
{
    private readonly string _iteration;
    private readonly int _maxIterations;
    private readonly IReadOnlyList<IDataflowObserver> _observers;
    private readonly IElasticityPolicy? _policy;
    private readonly int _maxParallelism;
    private readonly IReadOnlyList<WorkerInfo> _workers;
    private readonly List<TaskStatistics> _reports = new();
    private readonly List<IReadOnlyList<TaskStatistics>> _history = new();
    private readonly List<TimeSpan> _durations = new();

    /// <summary>Creates the synchronizer of one run of an iteration.</summary>
    public SuperstepSynchronizer(string iteration, int maxIterations, int parallelism, IReadOnlyList<IDataflowObserver> observers,
        IElasticityPolicy? policy = null, int maxParallelism = Partitioning.KeyGroups.DefaultMaxParallelism, IReadOnlyList<WorkerInfo>? workers = null)
    {
        _workers = workers ?? [new WorkerInfo("local", Environment.ProcessorCount)];
        _iteration = iteration;
        _maxIterations = maxIterations;
        Parallelism = parallelism;
        _observers = observers;
        _policy = policy;
        _maxParallelism = maxParallelism;
    }

    /// <summary>The parallelism of the running superstep.</summary>
    public int Parallelism { get; private set; }

    /// <summary>The statistics of all finished supersteps.</summary>
    public IReadOnlyList<SuperstepStatistics> Supersteps => _supersteps;

    private readonly List<SuperstepStatistics> _supersteps = new();

    /// <summary>Sets the parallelism of the next superstep (decided elsewhere: in a cluster, by the submitter's copy of the policy).</summary>
    public void Override(int parallelism)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        Parallelism = parallelism;
    }

    /// <summary>What the elasticity policy has seen so far (its memory), for a checkpoint.</summary>
    public PolicyMemory Memory() =>
        new(_history.Select(h => (IReadOnlyList<TaskStatistics>)h.ToList()).ToList(), _durations.Select(d => d.TotalMilliseconds).ToList());

    /// <summary>Gives the policy back what it had seen at a checkpoint (before the first barrier of a restored run).</summary>
    public void Restore(PolicyMemory memory)
    {
        ArgumentNullException.ThrowIfNull(memory);
        _history.Clear();
        _history.AddRange(memory.History);
        _durations.Clear();
        _durations.AddRange(memory.DurationsMs.Select(TimeSpan.FromMilliseconds));
    }

    /// <summary>
    /// Goes back to a checkpoint (a lost worker's recovery): the reports of the superstep that was running are dropped,
    /// the policy's memory is the checkpoint's (or none), and the next superstep runs at <paramref name="parallelism"/>.
    /// </summary>
    public void Rewind(PolicyMemory? memory, int parallelism)
    {
        lock (_reports) _reports.Clear();
        Restore(memory ?? new PolicyMemory([], []));
        Override(parallelism);
    }

    /// <summary>
    /// A subtask of the step reports that its part of the superstep is done, with its statistics
    /// (called by the executor on the subtask's thread, or for a cluster's remote subtasks as the
    /// coordinator relays them). Subtask <c>s</c> reports for head <c>s mod parallelism</c>.
    /// </summary>
    public void ReportDone(TaskStatistics task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (_reports) _reports.Add(task);
    }

    /// <summary>
    /// The barrier: all heads have reported. Evaluates termination (<paramref name="empty"/>,
    /// <paramref name="converged"/>, the maximum), tells the observers, asks the elasticity policy.
    /// </summary>
    public BarrierAnswer Barrier(int superstep, TimeSpan duration, long? workset, IReadOnlyDictionary<string, object?> aggregators,
        bool empty, bool converged, IReadOnlyList<WorkerStatistics> workers)
    {
        List<TaskStatistics> tasks;
        lock (_reports)
        {
            int heads = _reports.Select(r => r.Subtask % Parallelism).Distinct().Count();
            if (heads != Parallelism)
            {
                throw new InvalidOperationException($"Barrier of superstep {superstep} reached with {heads} of {Parallelism} heads reported.");
            }
            // Reports arrive in completion order; statistics are listed in one order on every run and process.
            tasks = _reports.OrderBy(t => t.Operator, StringComparer.Ordinal).ThenBy(t => t.Subtask).ThenBy(t => t.Worker, StringComparer.Ordinal).ToList();
            _reports.Clear();
        }
        var stats = new SuperstepStatistics(_iteration, superstep, Parallelism, duration, workset, aggregators, tasks, workers);
        _supersteps.Add(stats);
        _history.Add(tasks);
        _durations.Add(duration);
        foreach (var o in _observers) o.OnSuperstep(stats);

        var reason = empty ? TerminationReason.Empty
            : converged ? TerminationReason.Converged
            : superstep >= _maxIterations ? TerminationReason.MaxIterations
            : TerminationReason.None;
        if (reason != TerminationReason.None) return new BarrierAnswer(true, reason, Parallelism);

        if (_policy is not null)
        {
            var decision = _policy.Decide(new BarrierContext(_iteration, superstep, Parallelism, _history, _durations, _workers));
            int next = Math.Clamp(decision.Parallelism, 1, _maxParallelism);
            if (next != Parallelism)
            {
                var from = Parallelism;
                Parallelism = next;
                return new BarrierAnswer(false, TerminationReason.None, next) { RescaleReason = decision.Reason, RescaleFrom = from };
            }
        }
        return new BarrierAnswer(false, TerminationReason.None, Parallelism);
    }
}

/// <summary>The statistics an elasticity policy decides from (per superstep: the task statistics and the duration), kept in a checkpoint.</summary>
/// <param name="History">Per finished superstep, its task statistics.</param>
/// <param name="DurationsMs">Per finished superstep, its wall time in milliseconds.</param>
public sealed record PolicyMemory(IReadOnlyList<IReadOnlyList<TaskStatistics>> History, IReadOnlyList<double> DurationsMs);
