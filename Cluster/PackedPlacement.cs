using Dataflow.Runtime.Partitioning;

namespace Dataflow.Cluster;

/// <summary>Packs subtasks onto as few workers as their slots allow, keeping key groups where they are (a job that acquires and releases workers).</summary>
public static class PackedPlacement
{
    /// <summary>
    /// Packs a small made-up change of parallelism (<see cref="PackByLocality"/>) and forgets it: a worker
    /// that rehearses a move compiles the placement code too, which a rescale otherwise compiles on every
    /// worker while the others wait.
    /// </summary>
    public static void RehearsePlacement(int maxParallelism) => _ = PackByLocality(3, [1, 2], [1, 2, 3], 1, maxParallelism);

    /// <summary>
    /// Places <paramref name="parallelism"/> subtasks on as few of <paramref name="workers"/> as their
    /// <paramref name="slots"/> allow, keeping key groups where they are: the workers holding the most key
    /// groups in place are matched first: each new subtask (most key groups in one place first) goes to the worker
    /// that holds the most of its key groups while that worker has a free slot and no more than the workers
    /// needed are taken; the rest fill free slots. Ties go to the lower subtask and the earlier worker.
    /// </summary>
    /// <param name="parallelism">The new parallelism.</param>
    /// <param name="from">The worker (participant) of each old subtask.</param>
    /// <param name="workers">The job's workers, in order.</param>
    /// <param name="slots">Subtasks per worker.</param>
    /// <param name="maxParallelism">The number of key groups.</param>
    /// <returns>The worker of each new subtask.</returns>
    public static int[] PackByLocality(int parallelism, IReadOnlyList<int> from, IReadOnlyList<int> workers, int slots, int maxParallelism)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        if (workers.Distinct().Count() != workers.Count) throw new ArgumentException("A worker appears twice.", nameof(workers));
        int need = (parallelism + slots - 1) / slots;
        if (need > workers.Count) throw new ArgumentException($"{parallelism} subtasks do not fit {workers.Count} workers of {slots} slots.", nameof(workers));
        // held[s, w]: key groups of new subtask s that worker w holds now.
        var held = new int[parallelism, workers.Count];
        var index = workers.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => x.i);
        for (int g = 0; g < maxParallelism; g++)
        {
            if (!index.TryGetValue(from[KeyGroups.SubtaskOf(g, from.Count, maxParallelism)], out int w)) continue;
            held[KeyGroups.SubtaskOf(g, parallelism, maxParallelism), w]++;
        }
        // Pairs with the most key groups in place first. A worker joins the used ones while fewer than need are, for a
        // subtask that has key groups on it, or when no used worker has a free slot.
        var used = new bool[workers.Count];
        var free = new int[workers.Count];
        int usedCount = 0;
        var hosts = Enumerable.Repeat(-1, parallelism).ToArray();
        var pairs = from s in Enumerable.Range(0, parallelism)
                    from w in Enumerable.Range(0, workers.Count)
                    orderby held[s, w] descending, s, w
                    select (s, w);
        foreach (var (s, w) in pairs)
        {
            if (hosts[s] >= 0) continue;
            if (!used[w])
            {
                if (usedCount == need || (held[s, w] == 0 && Enumerable.Range(0, workers.Count).Any(u => used[u] && free[u] > 0))) continue;
                used[w] = true;
                free[w] = slots;
                usedCount++;
            }
            if (free[w] == 0) continue;
            hosts[s] = w;
            free[w]--;
        }
        return hosts.Select(w => workers[w]).ToArray();
    }
}
