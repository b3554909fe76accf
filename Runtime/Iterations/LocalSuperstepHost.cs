using System.Diagnostics;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Iterations;

/// <summary>The superstep host of an embedded run: one process, so the barrier is local and state moves in memory.</summary>
/// <param name="run">The iteration's run.</param>
public sealed class LocalSuperstepHost(IterationRun run) : ISuperstepHost
{
    /// <inheritdoc />
    public WorkerInfo Capacity { get; } = new("local", run.Slots);

    /// <inheritdoc />
    public Task<BarrierOutcome> BarrierAsync(BarrierInput local)
    {
        ArgumentNullException.ThrowIfNull(local);
        WorkerStatistics[] workers = [new WorkerStatistics("local", local.Cpu, Environment.WorkingSet) { Metrics = run.Metrics() }];
        return Task.FromResult(new BarrierOutcome(local.Workset, local.Criterion, null, workers));
    }

    /// <inheritdoc />
    public Task<int> AgreeAsync(int value) => Task.FromResult(value);

    /// <inheritdoc />
    public Task<RescaleEvent> RescaleAsync(RescaleRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        long t0 = Stopwatch.GetTimestamp();
        foreach (var state in run.States()) state.MoveLocal(request.To, run.MaxParallelism);
        return Task.FromResult(new RescaleEvent(run.Name, request.Superstep, request.From, request.To, request.Policy, request.Reason, Stopwatch.GetElapsedTime(t0)));
    }

    /// <inheritdoc />
    public Task PlaceAsync(int superstep, int parallelism) => Task.CompletedTask; // every subtask runs here

    /// <inheritdoc />
    public Task EndAsync(int parallelism, int baseParallelism)
    {
        if (parallelism != baseParallelism)
        {
            foreach (var state in run.States()) state.MoveLocal(baseParallelism, run.MaxParallelism);
        }
        return Task.CompletedTask;
    }
}
