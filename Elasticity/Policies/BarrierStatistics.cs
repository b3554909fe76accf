using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Elasticity.Policies;

/// <summary>The CPU utilization of one worker over a superstep.</summary>
/// <param name="Worker">The worker id.</param>
/// <param name="Utilization">CPU time of the step's subtasks on the worker over the capacity it gave them (0..1).</param>
internal readonly record struct WorkerUtilization(string Worker, double Utilization);

/// <summary>
/// Quantities the policies derive from a <see cref="BarrierContext"/>: the parallelism each finished
/// superstep ran at, and the mean worker CPU utilization of the last one.
/// </summary>
/// <remarks>
/// The context carries task records, not per-superstep parallelism or worker statistics, so both are
/// reconstructed here; a context that carried <see cref="SuperstepStatistics"/> would make this exact.
/// </remarks>
internal static class BarrierStatistics
{
    /// <summary>
    /// The parallelism of each finished superstep, oldest first: the largest number of distinct subtasks
    /// of one operator among its task records; the last superstep is the context's own parallelism.
    /// A superstep without task records counts as the one before it (or the current parallelism).
    /// </summary>
    public static int[] ParallelismHistory(BarrierContext context)
    {
        int n = Math.Min(context.History.Count, context.SuperstepDurations.Count);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int p = ParallelismOf(context.History[i]);
            result[i] = p > 0 ? p : i > 0 ? result[i - 1] : context.Parallelism;
        }
        if (n > 0) result[n - 1] = context.Parallelism;
        return result;
    }

    /// <summary>The largest number of distinct subtasks of one operator in <paramref name="tasks"/> (0 when empty).</summary>
    public static int ParallelismOf(IReadOnlyList<TaskStatistics> tasks)
    {
        if (tasks.Count == 0) return 0;
        return tasks.GroupBy(t => t.Operator, StringComparer.Ordinal).Max(g => g.Select(t => t.Subtask).Distinct().Count());
    }

    /// <summary>How many finished supersteps in a row, counting back from the last, ran at the current parallelism.</summary>
    public static int SuperstepsAtCurrentParallelism(BarrierContext context)
    {
        var history = ParallelismHistory(context);
        int count = 0;
        for (int i = history.Length - 1; i >= 0 && history[i] == context.Parallelism; i--) count++;
        return count;
    }

    /// <summary>
    /// The mean over workers of each worker's CPU utilization during the last superstep (docs/architecture.md §8),
    /// with the per-worker values; null when the last superstep has no task records or no duration.
    /// </summary>
    /// <remarks>
    /// For worker w: <c>U_w = Σ cpu_ms / (duration_ms × min(n_w, slots_w) × slotCapacity)</c>, clamped to
    /// [0, 1], where the sum runs over the step's task records on w, <c>n_w</c> is the number of distinct
    /// subtask indices on w (the slots the iteration occupies there), <c>slots_w</c> its slots from
    /// <see cref="BarrierContext.Workers"/> (when listed) and <paramref name="slotCapacity"/> the cores
    /// behind one slot. The capacity is what the iteration was given, not the whole machine: p subtasks on
    /// an 8-core machine that keep p cores busy are fully utilized. When no record reports CPU time
    /// (thread CPU time is unsupported on the platform), busy time stands in for it.
    /// </remarks>
    public static (double Mean, WorkerUtilization[] Workers)? CpuUtilization(BarrierContext context, double slotCapacity, int back = 0)
    {
        if (context.History.Count <= back || context.SuperstepDurations.Count <= back) return null;
        var tasks = context.History[^(1 + back)];
        double durationMs = context.SuperstepDurations[^(1 + back)].TotalMilliseconds;
        if (tasks.Count == 0 || durationMs <= 0) return null;
        bool hasCpu = tasks.Any(t => t.CpuMs > 0);
        var slots = context.Workers.ToDictionary(w => w.Id, w => w.Slots, StringComparer.Ordinal);
        var workers = tasks.GroupBy(t => t.Worker, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                double used = g.Sum(t => hasCpu ? t.CpuMs : t.BusyMs);
                int occupied = g.Select(t => t.Subtask).Distinct().Count();
                if (slots.TryGetValue(g.Key, out var s) && s > 0) occupied = Math.Min(occupied, s);
                double capacity = durationMs * occupied * slotCapacity;
                return new WorkerUtilization(g.Key, Math.Clamp(used / capacity, 0, 1));
            })
            .ToArray();
        return (workers.Average(w => w.Utilization), workers);
    }

    /// <summary>The upper bound of parallelism: <paramref name="configured"/>, or the slots of the available workers (at least the current parallelism).</summary>
    public static int MaxParallelism(int? configured, BarrierContext context) =>
        configured ?? Math.Max(context.Parallelism, context.Workers.Sum(w => Math.Max(0, w.Slots)));
}
