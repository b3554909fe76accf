using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Partitioning;

namespace Dataflow;

/// <summary>Settings of a <see cref="DataflowEnvironment"/>.</summary>
public sealed class DataflowOptions
{
    /// <summary>Default number of subtasks per operator (default: the number of cores; 1..<see cref="MaxParallelism"/>).</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Number of key groups, the upper bound of any parallelism (default 128).</summary>
    public int MaxParallelism { get; set; } = KeyGroups.DefaultMaxParallelism;

    /// <summary>Records per batch between operators (default 1024).</summary>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Queue capacity per producer subtask, in batches, before back-pressure (default 8).</summary>
    public int QueueBatchesPerProducer { get; set; } = 8;

    /// <summary>Slots of this process as elasticity policies see it (default: the number of cores).</summary>
    public int Slots { get; set; } = Environment.ProcessorCount;

    /// <summary>Called on each subtask's thread before it runs, with the subtask index (see <see cref="ExecutionOptions.OnSubtaskThreadStart"/>).</summary>
    public Action<int>? OnSubtaskThreadStart { get; set; }

    /// <summary>
    /// Supersteps between checkpoints of every iteration's state (0, the default: none). See
    /// <see cref="DataflowEnvironment.EnableCheckpoints"/>.
    /// </summary>
    public int CheckpointInterval { get; set; }

    /// <summary>Where checkpoints go (a folder of one per job is made in it); null: <c>checkpoints</c> under the working directory.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>A job's checkpoint folder (or a checkpoint directory: its newest job) that iterations go on from; see <see cref="DataflowEnvironment.ResumeFrom"/>.</summary>
    public string? ResumeFrom { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a value out of range.</summary>
    public void Validate()
    {
        if (CheckpointInterval < 0) throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "CheckpointInterval must be 0 (none) or more.");
        if (MaxParallelism is < 1 or > 32768) throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "MaxParallelism must be in 1..32768.");
        if (Parallelism < 1 || Parallelism > MaxParallelism) throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, $"Parallelism must be in 1..{MaxParallelism}.");
        ToExecutionOptions().Validate();
    }

    internal ExecutionOptions ToExecutionOptions() => new()
    {
        BatchSize = BatchSize,
        MaxParallelism = MaxParallelism,
        QueueBatchesPerProducer = QueueBatchesPerProducer,
        OnSubtaskThreadStart = OnSubtaskThreadStart,
    };
}
