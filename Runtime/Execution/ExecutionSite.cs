namespace Dataflow.Runtime.Execution;

/// <summary>
/// One process's share of a job that runs on several processes: which subtasks run here, and the
/// network channels to the subtasks that run elsewhere. Every process builds the same job graph;
/// the executor instantiates only the local subtasks and asks the site for the rest.
/// </summary>
public abstract class ExecutionSite
{
    /// <summary>True when subtask <paramref name="subtask"/> of <paramref name="vertex"/> runs in this process.</summary>
    public abstract bool IsLocal(JobVertex vertex, int subtask);

    /// <summary>
    /// Called first: agrees with the other processes on the graph and on where its subtasks run;
    /// <see cref="IsLocal"/> answers from then on.
    /// </summary>
    public abstract Task PrepareAsync(JobGraph graph, CancellationToken cancellationToken);

    /// <summary>
    /// Called once before any subtask starts, with the input queues of the local subtasks (null for
    /// remote ones): batches arriving from other processes go into them.
    /// </summary>
    public abstract void Attach(IReadOnlyDictionary<JobVertex, InputQueue?[]> queues, JobAbort abort);

    /// <summary>The channel through which local producer subtask <paramref name="producer"/> of <paramref name="edge"/> feeds remote consumer <paramref name="consumer"/> (it counts the bytes it sends in <paramref name="metrics"/>).</summary>
    public abstract BatchTarget Connect(JobEdge edge, int producer, int consumer, JobAbort abort, Statistics.SubtaskMetrics metrics);

    /// <summary>Called once when every local subtask has ended (<paramref name="aborted"/> when the job failed or was cancelled).</summary>
    public abstract void Detach(bool aborted);
}
