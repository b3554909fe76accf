namespace Dataflow;

/// <summary>Resource use of one worker during a superstep.</summary>
/// <param name="Worker">Worker id (<c>local</c> when embedded).</param>
/// <param name="Cpu">Mean CPU utilization of the worker's process over the superstep, as a fraction of all its cores (0..1).</param>
/// <param name="MemoryBytes">Working set at the barrier.</param>
public sealed record WorkerStatistics(string Worker, double Cpu, long MemoryBytes)
{
    /// <summary>Further per-worker metrics by name (node CPU, network and disk bytes per second: see the node monitor), or null.</summary>
    public IReadOnlyDictionary<string, double>? Metrics { get; init; }
}

/// <summary>Everything known about one finished superstep (docs/architecture.md §6).</summary>
/// <param name="Iteration">The iteration's name.</param>
/// <param name="Superstep">1-based superstep number.</param>
/// <param name="Parallelism">Parallelism of the step in this superstep.</param>
/// <param name="Duration">Wall time of the superstep.</param>
/// <param name="Workset">Size of the next workset (delta iterations), or null.</param>
/// <param name="Aggregators">Aggregator values after the superstep.</param>
/// <param name="Tasks">One record per subtask of every operator of the step.</param>
/// <param name="Workers">One record per worker.</param>
public sealed record SuperstepStatistics(
    string Iteration, int Superstep, int Parallelism, TimeSpan Duration, long? Workset,
    IReadOnlyDictionary<string, object?> Aggregators, IReadOnlyList<TaskStatistics> Tasks, IReadOnlyList<WorkerStatistics> Workers)
{
    /// <summary>Records produced by all tasks of the superstep.</summary>
    public long RecordsOut => Tasks.Sum(t => t.RecordsOut);
}

/// <summary>A change of parallelism at a barrier.</summary>
/// <param name="Iteration">The iteration.</param>
/// <param name="Superstep">The superstep after which it happened.</param>
/// <param name="From">Old parallelism.</param>
/// <param name="To">New parallelism.</param>
/// <param name="Policy">The policy that decided.</param>
/// <param name="Reason">Its reason, with inputs.</param>
/// <param name="Duration">Time the move of state took (without <see cref="Acquire"/>).</param>
public sealed record RescaleEvent(string Iteration, int Superstep, int From, int To, string Policy, string Reason, TimeSpan Duration)
{
    /// <summary>Time spent acquiring workers for the new parallelism (cluster jobs with a worker maximum; zero otherwise).</summary>
    public TimeSpan Acquire { get; init; }

    /// <summary>
    /// Of <see cref="Acquire"/>: the time the workers that joined took to rehearse a move with a sample of the
    /// others' state (compiling their per-record code and opening the connections the move uses).
    /// </summary>
    public TimeSpan JoinRehearsal { get; init; }

    /// <summary>The workers that joined the job for this rescale.</summary>
    public IReadOnlyList<string> Joined { get; init; } = [];

    /// <summary>Of <see cref="Joined"/>: the workers that had followed the job as standbys (they joined without replaying it).</summary>
    public IReadOnlyList<string> JoinedFromStandby { get; init; } = [];

    /// <summary>The workers released after it (left without subtasks).</summary>
    public IReadOnlyList<string> Released { get; init; } = [];

    /// <summary>The number of workers the job holds after it (0: embedded).</summary>
    public int Workers { get; init; }

    /// <summary>On a cluster: the slowest worker's time to export, exchange and import the state (ms).</summary>
    public IReadOnlyList<double> Phases { get; init; } = [];
}

/// <summary>A placement decision (docs/architecture.md §9): where each subtask of one parallelism runs, and the forecasts it saw.</summary>
/// <param name="Step">The job step (the n-th job graph of the program) it was made for.</param>
/// <param name="Policy">The placement policy.</param>
/// <param name="Parallelism">The parallelism placed.</param>
/// <param name="Workers">The worker of each subtask.</param>
/// <param name="Predictions">Predicted load and bottleneck flag by worker (empty without predictions).</param>
public sealed record PlacementRecord(int Step, string Policy, int Parallelism, IReadOnlyList<string> Workers,
    IReadOnlyDictionary<string, (double Load, bool Bottleneck)> Predictions)
{
    /// <summary>The superstep after whose barrier the subtasks were placed again (0: when the job first used the parallelism).</summary>
    public int Superstep { get; init; }
}

/// <summary>A superstep checkpoint of an iteration's state, written to disk (docs/checkpoints.md).</summary>
/// <param name="Iteration">The iteration.</param>
/// <param name="Superstep">The superstep after whose barrier it was taken.</param>
/// <param name="Parallelism">The parallelism then (one file per state and subtask).</param>
/// <param name="Bytes">The bytes of its state files.</param>
/// <param name="Snapshot">Time the iteration stood still to serialize its state (the rest is written in the background).</param>
/// <param name="Write">Time the background write took, files and manifest.</param>
/// <param name="Folder">The checkpoint's folder.</param>
public sealed record CheckpointEvent(string Iteration, int Superstep, int Parallelism, long Bytes, TimeSpan Snapshot, TimeSpan Write, string Folder)
{
    /// <summary>Time the iteration waited for the previous checkpoint's write to finish before taking this one.</summary>
    public TimeSpan Wait { get; init; }
}

/// <summary>An iteration's state restored from a checkpoint: after a lost worker, or when a program is run with <c>--resume-from</c>.</summary>
/// <param name="Iteration">The iteration.</param>
/// <param name="Superstep">The superstep of the checkpoint: the iteration goes on with the next one.</param>
/// <param name="Parallelism">The parallelism it goes on at.</param>
/// <param name="Reason">Why: the lost worker and how it was lost, or the resumed folder.</param>
/// <param name="Restore">Time to read the state back.</param>
/// <param name="Bytes">The bytes read.</param>
public sealed record RecoveryEvent(string Iteration, int Superstep, int Parallelism, string Reason, TimeSpan Restore, long Bytes)
{
    /// <summary>The worker whose loss started the recovery, or null (a resumed program).</summary>
    public string? LostWorker { get; init; }

    /// <summary>The superstep that was running when the worker was lost, or null.</summary>
    public int? FailedSuperstep { get; init; }

    /// <summary>Supersteps run again because they came after the checkpoint: <see cref="FailedSuperstep"/> − <see cref="Superstep"/>.</summary>
    public int Replayed => FailedSuperstep is { } f ? Math.Max(0, f - Superstep) : 0;

    /// <summary>The parallelism before the loss, or null.</summary>
    public int? ParallelismBefore { get; init; }

    /// <summary>The worker that took the lost one's place, or null (the survivors went on, or a resumed program).</summary>
    public string? Replacement { get; init; }

    /// <summary>From the decision to recover to the start of the next superstep.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The checkpoint's folder.</summary>
    public string Folder { get; init; } = "";
}

/// <summary>The end of a job.</summary>
/// <param name="Status"><c>finished</c>, <c>failed</c> or <c>cancelled</c>.</param>
/// <param name="Duration">Wall time.</param>
/// <param name="Supersteps">Supersteps run by all iterations of the job.</param>
/// <param name="Error">The error message of a failed job.</param>
public sealed record JobSummary(string Status, TimeSpan Duration, int Supersteps, string? Error = null);

/// <summary>Receives statistics as a job runs: registered through DI or on the environment.</summary>
/// <remarks>Called on the thread that drives the job, at the barrier; keep it quick.</remarks>
public interface IDataflowObserver
{
    /// <summary>A superstep finished.</summary>
    void OnSuperstep(SuperstepStatistics superstep) { }

    /// <summary>Parallelism changed at a barrier.</summary>
    void OnRescale(RescaleEvent rescale) { }

    /// <summary>The scheduler placed subtasks on workers (cluster mode).</summary>
    void OnPlacement(PlacementRecord placement) { }

    /// <summary>A superstep checkpoint was written (told at the first barrier after its write finished).</summary>
    void OnCheckpoint(CheckpointEvent checkpoint) { }

    /// <summary>An iteration's state was restored from a checkpoint.</summary>
    void OnRecovery(RecoveryEvent recovery) { }

    /// <summary>A job ended.</summary>
    void OnJobFinished(JobSummary job) { }
}
