using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Hosting;
using Dataflow.Runtime.Iterations;

namespace Dataflow.Cluster;

/// <summary>The host of one copy of a cluster program (the submitter's or a worker's): jobs run through the job's <see cref="ClusterSession"/>.</summary>
public sealed class ClusterJobHost : IJobHost
{
    private readonly ClusterSession _session;

    /// <summary>Hosts a program in the cluster job of <paramref name="session"/>.</summary>
    public ClusterJobHost(ClusterSession session)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        if (session.IsSubmitter)
        {
            session.Placed += (step, superstep, d) =>
            {
                var record = new PlacementRecord(step, d.Policy, d.Parallelism, d.Workers,
                    d.PredictionWorkers.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => (d.PredictedLoads[x.i], d.Bottlenecks[x.i])))
                {
                    Superstep = superstep,
                };
                Placed?.Invoke(record);
            };
            // The coordinator shows the job on its dashboard from the same events the program's --stats file gets.
            var control = session.Control;
            Observers = [new JsonStatisticsWriter(line => _ = control.TrySendAsync(new JobEvent(session.Job, line)))];
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<IDataflowObserver> Observers { get; } = [];

    /// <inheritdoc />
    public HostMode Mode => _session.IsSubmitter ? HostMode.Submitter : HostMode.Worker;

    /// <inheritdoc />
    public int? Parallelism => _session.Parallelism;

    /// <inheritdoc />
    public Task<JobExecutionResult> RunAsync(JobGraph graph, LocalExecutor executor, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken) =>
        _session.RunStepAsync(graph, executor, subtaskDone, cancellationToken);

    /// <inheritdoc />
    public Task<byte[]> ShareAsync(byte[]? value) => _session.ShareAsync(value);

    /// <inheritdoc />
    public void UsePlacement(string policy, string predictor) => _session.Placement = (policy, predictor);

    /// <inheritdoc />
    public event Action<PlacementRecord>? Placed;

    /// <inheritdoc />
    public ISuperstepHost OpenIteration(IterationRun run) => new ClusterSuperstepHost(_session, run);

    /// <inheritdoc />
    public string Program => _session.Program;
}
