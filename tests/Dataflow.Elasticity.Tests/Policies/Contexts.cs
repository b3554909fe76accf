using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Elasticity.Tests.Policies;

/// <summary>One finished superstep of a synthetic history.</summary>
/// <param name="Parallelism">Its parallelism.</param>
/// <param name="DurationMs">Its wall time.</param>
/// <param name="Cpu">The CPU time of every subtask as a fraction of the duration.</param>
internal sealed record Step(int Parallelism, double DurationMs, double Cpu = 0.5);

/// <summary>Builds synthetic barrier contexts: one operator chain, all subtasks on worker <c>local</c>.</summary>
internal static class Contexts
{
    public static readonly WorkerInfo[] LocalWorker = [new WorkerInfo("local", 64)];

    public static TaskStatistics Task(int subtask, double cpuMs, string worker = "local", string op = "Step", double busyMs = 0) =>
        new(op, subtask, worker, 100, 100, 0, 0, busyMs, 0, 0, cpuMs, 0);

    /// <summary>The context after the last of <paramref name="steps"/>.</summary>
    public static BarrierContext After(params Step[] steps) => After(LocalWorker, steps);

    public static BarrierContext After(IReadOnlyList<WorkerInfo> workers, params Step[] steps)
    {
        var history = steps
            .Select(s => (IReadOnlyList<TaskStatistics>)Enumerable.Range(0, s.Parallelism).Select(i => Task(i, s.Cpu * s.DurationMs)).ToArray())
            .ToArray();
        return new BarrierContext("it", steps.Length, steps.Length == 0 ? 1 : steps[^1].Parallelism, history,
            steps.Select(s => TimeSpan.FromMilliseconds(s.DurationMs)).ToArray(), workers);
    }

    /// <summary>The context after one superstep of <paramref name="tasks"/> lasting <paramref name="durationMs"/>.</summary>
    public static BarrierContext Single(int parallelism, double durationMs, IReadOnlyList<TaskStatistics> tasks, IReadOnlyList<WorkerInfo>? workers = null) =>
        new("it", 1, parallelism, [tasks], [TimeSpan.FromMilliseconds(durationMs)], workers ?? LocalWorker);
}
