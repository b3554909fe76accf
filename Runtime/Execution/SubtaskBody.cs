using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Execution;

/// <summary>What the executor gives one subtask: its position, outputs and counters.</summary>
public sealed class SubtaskContext
{
    internal SubtaskContext(JobVertex vertex, int subtask, IReadOnlyList<object> outputs, SubtaskMetrics metrics,
        JobAbort abort, int batchSize, int maxParallelism)
    {
        Vertex = vertex;
        Subtask = subtask;
        Outputs = outputs;
        Metrics = metrics;
        Abort = abort;
        BatchSize = batchSize;
        MaxParallelism = maxParallelism;
    }

    /// <summary>The vertex this subtask belongs to.</summary>
    public JobVertex Vertex { get; }

    /// <summary>Index of this subtask, 0 ≤ Subtask &lt; Parallelism.</summary>
    public int Subtask { get; }

    /// <summary>Number of subtasks of the vertex.</summary>
    public int Parallelism => Vertex.Parallelism;

    /// <summary>One typed <c>Collector&lt;T&gt;</c> per outgoing edge, in <see cref="JobVertex.Outputs"/> order.</summary>
    public IReadOnlyList<object> Outputs { get; }

    /// <summary>This subtask's counters.</summary>
    public SubtaskMetrics Metrics { get; }

    /// <summary>The job-wide stop signal; sources check it once per batch.</summary>
    public JobAbort Abort { get; }

    /// <summary>Records per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Number of key groups.</summary>
    public int MaxParallelism { get; }
}

/// <summary>
/// One subtask's operator chain as the executor drives it: a source runs to completion, any other
/// subtask receives batches per input, then an end per input, then <see cref="Close"/>.
/// </summary>
public abstract class SubtaskBody
{
    /// <summary>True for a source, which produces records in <see cref="Run"/> and has no inputs.</summary>
    public virtual bool IsSource => false;

    /// <summary>Produces all of a source's records (sources only).</summary>
    public virtual void Run() => throw new InvalidOperationException("Not a source.");

    /// <summary>Consumes a pooled batch of input <paramref name="input"/>; the body returns the array to the pool.</summary>
    public abstract void OnBatch(int input, Array items, int count);

    /// <summary>Every producer of input <paramref name="input"/> has finished.</summary>
    public abstract void OnInputEnd(int input);

    /// <summary>All inputs ended (or the source finished): flush and close the outputs.</summary>
    public abstract void Close();
}
