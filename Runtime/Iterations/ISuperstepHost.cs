using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Iterations.Checkpoints;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Iterations;

/// <summary>
/// Where the supersteps of one run of an iteration meet: the barrier, the values every process must
/// agree on, and the changes of parallelism and placement that move the iteration's state. Embedded,
/// everything happens in this process (<see cref="LocalSuperstepHost"/>); in a cluster job, the
/// cluster's host runs the same protocol between the worker processes.
/// </summary>
/// <remarks>
/// The iteration driver calls, for every superstep: the step's job, then <see cref="BarrierAsync"/>,
/// then (unless the iteration ends) <see cref="AgreeAsync"/> on the next parallelism when a policy
/// decides it, <see cref="RescaleAsync"/> when it changes, and <see cref="PlaceAsync"/>; after the
/// last superstep, <see cref="EndAsync"/>. Every copy of a cluster program makes the same calls in the
/// same order.
/// </remarks>
public interface ISuperstepHost
{
    /// <summary>The resources policies may plan with: this process's slots, or the cluster job's.</summary>
    WorkerInfo Capacity { get; }

    /// <summary>
    /// The barrier of a superstep: combines this process's counts, aggregator values and worker
    /// statistics with every other process's (embedded: returns them as they are).
    /// </summary>
    Task<BarrierOutcome> BarrierAsync(BarrierInput local);

    /// <summary>The value every copy of the program uses: the submitter's (embedded: <paramref name="value"/>).</summary>
    Task<int> AgreeAsync(int value);

    /// <summary>
    /// Changes the iteration's parallelism from <paramref name="request"/>.From to .To, moving its
    /// state (and, on a cluster that may, acquiring and releasing workers).
    /// </summary>
    /// <returns>The <c>rescale</c> event to tell the observers.</returns>
    Task<RescaleEvent> RescaleAsync(RescaleRequest request);

    /// <summary>Asks the placement policy where the subtasks of <paramref name="parallelism"/> go next, and moves their state there.</summary>
    Task PlaceAsync(int superstep, int parallelism);

    /// <summary>After the last superstep: the state goes back to <paramref name="baseParallelism"/> subtasks where what reads the result expects them.</summary>
    Task EndAsync(int parallelism, int baseParallelism);

    /// <summary>
    /// Whether this process holds subtask <paramref name="subtask"/> of <paramref name="parallelism"/> (embedded: every
    /// one): it writes that subtask's part of a checkpoint and reads it back.
    /// </summary>
    bool Holds(int parallelism, int subtask) => true;

    /// <summary>Before state is read back from a checkpoint at <paramref name="parallelism"/>: fixes where its subtasks run (every copy alike).</summary>
    void PlaceRestored(int parallelism)
    {
    }

    /// <summary>
    /// Called when the checkpoint after <paramref name="superstep"/> of iteration run <paramref name="run"/> is taken (on the
    /// driver's thread, every copy at the same point); returns what to call once this process has written its files:
    /// it gives every process's files to the one that writes the manifest (embedded: this one), null to the others.
    /// </summary>
    Func<IReadOnlyList<CheckpointFile>, Task<IReadOnlyList<CheckpointFile>?>> BeginCheckpoint(int run, int superstep) =>
        files => Task.FromResult<IReadOnlyList<CheckpointFile>?>(files);

    /// <summary>
    /// In the process that writes the manifests: the checkpoint after <paramref name="superstep"/> of iteration run
    /// <paramref name="run"/> is complete, so a lost worker can be recovered from (0: the iteration run ended, nothing to
    /// recover to any more; -1: the run takes checkpoints, none is complete yet). A cluster tells its coordinator.
    /// </summary>
    Task CommittedAsync(int run, int superstep) => Task.CompletedTask;

    /// <summary>
    /// Every copy of the program, having caught <paramref name="recovery"/>: takes up the job's workers as they are
    /// after the loss (numbering its protocol anew), so the iteration can read its checkpoint back.
    /// </summary>
    /// <exception cref="NotSupportedException">The host cannot recover (embedded runs lose no worker).</exception>
    Task RecoverAsync(SuperstepRecoveryException recovery) => throw new NotSupportedException("Only a cluster job recovers from a lost worker.");

    /// <summary>
    /// When this copy took a lost worker's place and has replayed the program up to iteration run <paramref name="run"/>,
    /// the recovery it joined for (the loop starts with it); otherwise null.
    /// </summary>
    SuperstepRecoveryException? PendingRecovery(int run) => null;
}

/// <summary>What an iteration gives its host when it starts a run.</summary>
/// <param name="Name">The iteration's name.</param>
/// <param name="BaseParallelism">The parallelism it starts and ends at.</param>
/// <param name="MaxParallelism">The number of key groups.</param>
/// <param name="Slots">This process's slots, as policies see it embedded.</param>
/// <param name="Rescales">Whether a policy may change the parallelism (an elasticity policy is in force).</param>
/// <param name="States">The state that moves with a change of parallelism or placement, in an order every process agrees on.</param>
/// <param name="Metrics">This process's node metrics by name (network, disk, node CPU), for the worker statistics.</param>
public sealed record IterationRun(string Name, int BaseParallelism, int MaxParallelism, int Slots, bool Rescales,
    Func<IReadOnlyList<MovableState>> States, Func<Dictionary<string, double>> Metrics);

/// <summary>One process's part of a superstep barrier.</summary>
/// <param name="Superstep">The superstep (1-based).</param>
/// <param name="Workset">The workset size here, or null (bulk iteration).</param>
/// <param name="Criterion">The termination criterion's records here, or null.</param>
/// <param name="Aggregators">This process's aggregator values, serialized.</param>
/// <param name="Cpu">This process's CPU utilization during the superstep (0..1).</param>
public sealed record BarrierInput(int Superstep, long? Workset, long? Criterion, byte[] Aggregators, double Cpu);

/// <summary>The barrier's combined view.</summary>
/// <param name="Workset">The total workset size, or null.</param>
/// <param name="Criterion">The termination criterion's total, or null.</param>
/// <param name="Aggregators">Every process's aggregator values in process order, or null when this process's are the total (embedded).</param>
/// <param name="Workers">Statistics of the workers that ran the superstep.</param>
public sealed record BarrierOutcome(long? Workset, long? Criterion, IReadOnlyList<byte[]>? Aggregators, IReadOnlyList<WorkerStatistics> Workers);

/// <summary>A change of parallelism at a barrier.</summary>
/// <param name="Superstep">The superstep after which it happens (0: before the first).</param>
/// <param name="From">The current parallelism.</param>
/// <param name="To">The new parallelism.</param>
/// <param name="Policy">The policy that decided it.</param>
/// <param name="Reason">Its reason.</param>
public sealed record RescaleRequest(int Superstep, int From, int To, string Policy, string Reason);
