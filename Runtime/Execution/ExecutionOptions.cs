using Dataflow.Runtime.Partitioning;

namespace Dataflow.Runtime.Execution;

/// <summary>Knobs of the local runtime.</summary>
public sealed class ExecutionOptions
{
    /// <summary>Records per batch (default 1024; 64 ≤ value ≤ 65536).</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Batches a subtask's input queue holds before producers block (default 8 per producer, at least 16).</summary>
    public int QueueBatchesPerProducer { get; set; } = 8;

    /// <summary>Number of key groups, fixed for the life of a job (default 128).</summary>
    public int MaxParallelism { get; set; } = KeyGroups.DefaultMaxParallelism;

    /// <summary>
    /// Called on each subtask's thread before it runs, with the subtask index (experiments use it to
    /// put the thread of subtask <c>s</c> into the cgroup of emulated node <c>s</c>); null for none.
    /// </summary>
    public Action<int>? OnSubtaskThreadStart { get; set; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (BatchSize is < 1 or > 65536) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "Batch size must be in 1..65536.");
        if (QueueBatchesPerProducer < 1) throw new ArgumentOutOfRangeException(nameof(QueueBatchesPerProducer), QueueBatchesPerProducer, "Must be at least 1.");
        if (MaxParallelism is < 1 or > 32768) throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "Must be in 1..32768.");
    }
}
