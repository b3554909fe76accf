namespace Dataflow.Runtime.Statistics;

/// <summary>
/// Counters one subtask updates while it runs. Written only by the subtask's own thread, read by
/// the executor after the subtask ended (or at a barrier), so plain fields suffice.
/// </summary>
public sealed class SubtaskMetrics
{
    /// <summary>Records taken from the subtask's inputs (or produced by a source).</summary>
    public long RecordsIn;

    /// <summary>Records handed to the subtask's outputs.</summary>
    public long RecordsOut;

    /// <summary>Bytes received across exchanges (0 in-process, where batches move by reference).</summary>
    public long BytesIn;

    /// <summary>Bytes sent across exchanges (0 in-process).</summary>
    public long BytesOut;

    /// <summary>Stopwatch ticks blocked waiting for input.</summary>
    public long InputWaitTicks;

    /// <summary>Stopwatch ticks blocked on full downstream queues (back-pressure).</summary>
    public long OutputWaitTicks;

    /// <summary>Stopwatch ticks from start to end of the subtask.</summary>
    public long WallTicks;

    /// <summary>Thread CPU time in nanoseconds.</summary>
    public long CpuNanos;

    /// <summary>Bytes allocated on the subtask's thread.</summary>
    public long AllocatedBytes;
}
