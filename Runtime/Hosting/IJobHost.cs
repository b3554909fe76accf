using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Hosting;

/// <summary>Where a program's jobs run.</summary>
public enum HostMode
{
    /// <summary>In this process (the default).</summary>
    Embedded,

    /// <summary>The submitting copy of a cluster program: it runs the result sinks and owns the output.</summary>
    Submitter,

    /// <summary>A worker's copy of a cluster program: it runs its share of the subtasks.</summary>
    Worker,
}

/// <summary>
/// Runs a program's jobs: in this process (<see cref="LocalJobHost"/>), or as one copy of a cluster
/// program (the cluster assembly's host, which the launcher gives the program it starts through
/// <see cref="JobHostContext"/>). The engine reaches the cluster only through this interface and
/// <see cref="ISuperstepHost"/>.
/// </summary>
public interface IJobHost
{
    /// <summary>Where jobs run.</summary>
    HostMode Mode { get; }

    /// <summary>The default parallelism the host gives the program (a cluster job's), or null for the engine's default.</summary>
    int? Parallelism { get; }

    /// <summary>Runs one job graph (the subtasks this process hosts) and returns its statistics.</summary>
    /// <param name="graph">The job.</param>
    /// <param name="executor">Runs this process's subtasks.</param>
    /// <param name="subtaskDone">Receives the report of every subtask of the job, wherever it ran, when it is done (or null).</param>
    /// <param name="cancellationToken">Cancels the job.</param>
    Task<JobExecutionResult> RunAsync(JobGraph graph, LocalExecutor executor, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken);

    /// <summary>Makes the submitter's <paramref name="value"/> every copy's value (embedded: returns it).</summary>
    Task<byte[]> ShareAsync(byte[]? value);

    /// <summary>Chooses the placement policy and load predictor for the program's subtasks (no effect embedded).</summary>
    void UsePlacement(string policy, string predictor);

    /// <summary>Raised in the submitter when subtasks were placed.</summary>
    event Action<PlacementRecord>? Placed;

    /// <summary>The superstep host of one run of an iteration.</summary>
    ISuperstepHost OpenIteration(IterationRun run);

    /// <summary>Observers the host adds to the program's (a cluster submitter's: one that forwards the events to the coordinator's dashboard).</summary>
    IReadOnlyList<IDataflowObserver> Observers => [];

    /// <summary>The program's name (its assembly's), which its checkpoints are marked with.</summary>
    string Program => System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "program";
}

/// <summary>The host of an embedded program: every job runs in this process.</summary>
public sealed class LocalJobHost : IJobHost
{
    /// <inheritdoc />
    public HostMode Mode => HostMode.Embedded;

    /// <inheritdoc />
    public int? Parallelism => null;

    /// <inheritdoc />
    public Task<JobExecutionResult> RunAsync(JobGraph graph, LocalExecutor executor, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return executor.ExecuteAsync(graph, null, subtaskDone, cancellationToken);
    }

    /// <inheritdoc />
    public Task<byte[]> ShareAsync(byte[]? value) => Task.FromResult(value ?? throw new ArgumentNullException(nameof(value)));

    /// <inheritdoc />
    public void UsePlacement(string policy, string predictor)
    {
    }

    /// <inheritdoc />
    public event Action<PlacementRecord>? Placed
    {
        add { }
        remove { }
    }

    /// <inheritdoc />
    public ISuperstepHost OpenIteration(IterationRun run) => new LocalSuperstepHost(run);
}

/// <summary>
/// The host a launcher gives the program it runs (the cluster's, set on the program's thread before
/// its entry point is called); <c>DataflowEnvironment.Create()</c> uses it, and nothing else does.
/// </summary>
public static class JobHostContext
{
    private static readonly AsyncLocal<IJobHost?> s_current = new();

    /// <summary>The host of the program running on this thread, or null outside a launcher.</summary>
    public static IJobHost? Current
    {
        get => s_current.Value;
        set => s_current.Value = value;
    }
}
