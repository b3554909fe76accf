using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Extensibility;

/// <summary>A worker that can run subtasks (in embedded mode, the one <c>local</c> worker).</summary>
/// <param name="Id">Stable worker id.</param>
/// <param name="Slots">Number of subtasks it runs at once.</param>
public sealed record WorkerInfo(string Id, int Slots)
{
    /// <summary>The worker's process id where known (a cluster worker's, as it registered; 0 otherwise).</summary>
    public int Pid { get; init; }
}

/// <summary>What the runtime knows at a superstep barrier, given to policies.</summary>
/// <param name="Iteration">The iteration's name.</param>
/// <param name="Superstep">The superstep that just finished (1-based).</param>
/// <param name="Parallelism">The current parallelism of the iteration's step.</param>
/// <param name="History">Statistics of the finished supersteps, oldest first: one list of task records per superstep.</param>
/// <param name="SuperstepDurations">Wall time of each finished superstep, oldest first.</param>
/// <param name="Workers">The workers currently available.</param>
public sealed record BarrierContext(
    string Iteration, int Superstep, int Parallelism,
    IReadOnlyList<IReadOnlyList<TaskStatistics>> History, IReadOnlyList<TimeSpan> SuperstepDurations,
    IReadOnlyList<WorkerInfo> Workers);

/// <summary>A policy's answer at a barrier: keep the parallelism or change it.</summary>
/// <param name="Parallelism">The parallelism for the next superstep.</param>
/// <param name="Reason">Why, with the inputs that led to it (logged in the <c>rescale</c> event).</param>
public sealed record ElasticityDecision(int Parallelism, string Reason);

/// <summary>Decides the parallelism of an iteration at each superstep barrier (docs/architecture.md §8).</summary>
public interface IElasticityPolicy
{
    /// <summary>The policy's name as used on the command line.</summary>
    string Name { get; }

    /// <summary>Returns the parallelism for the next superstep.</summary>
    ElasticityDecision Decide(BarrierContext context);

    /// <summary>The parallelism of the first superstep, or null to start at <paramref name="current"/> (the iteration's own).</summary>
    int? FirstParallelism(int current) => null;
}

/// <summary>Subtask → worker assignment.</summary>
/// <param name="Workers">For each subtask index, the id of its worker.</param>
public sealed record Placement(IReadOnlyList<string> Workers);

/// <summary>Places subtasks on workers at job start and at every barrier (docs/architecture.md §9).</summary>
public interface IPlacementPolicy
{
    /// <summary>The policy's name as used on the command line.</summary>
    string Name { get; }

    /// <summary>Chooses a worker for each of <paramref name="parallelism"/> subtasks of <paramref name="vertex"/>.</summary>
    /// <param name="vertex">The vertex being placed.</param>
    /// <param name="parallelism">Its number of subtasks.</param>
    /// <param name="workers">The available workers.</param>
    /// <param name="current">The previous placement, if any (state lives there: moving it costs).</param>
    Placement Place(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current);
}

/// <summary>Acquires and releases workers (docs/architecture.md §7).</summary>
public interface IResourceProvider
{
    /// <summary>The workers currently held.</summary>
    IReadOnlyList<WorkerInfo> Workers { get; }

    /// <summary>Acquires <paramref name="count"/> more workers.</summary>
    Task<IReadOnlyList<WorkerInfo>> AcquireAsync(int count, CancellationToken cancellationToken);

    /// <summary>Releases the given workers (their processes exit or return to a pool).</summary>
    Task ReleaseAsync(IEnumerable<WorkerInfo> workers, CancellationToken cancellationToken);
}

/// <summary>The embedded runtime's only resource: this process, with one slot per core.</summary>
public sealed class LocalResourceProvider : IResourceProvider
{
    private readonly WorkerInfo[] _workers = [new WorkerInfo("local", Environment.ProcessorCount)];

    /// <inheritdoc />
    public IReadOnlyList<WorkerInfo> Workers => _workers;

    /// <inheritdoc />
    public Task<IReadOnlyList<WorkerInfo>> AcquireAsync(int count, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("The embedded runtime has exactly one worker (this process); it changes the number of subtasks instead of workers.");

    /// <inheritdoc />
    public Task ReleaseAsync(IEnumerable<WorkerInfo> workers, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Places every subtask on the single local worker.</summary>
public sealed class LocalPlacementPolicy : IPlacementPolicy
{
    /// <inheritdoc />
    public string Name => "local";

    /// <inheritdoc />
    public Placement Place(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current) =>
        new(Enumerable.Repeat(workers.Count > 0 ? workers[0].Id : "local", parallelism).ToArray());
}
