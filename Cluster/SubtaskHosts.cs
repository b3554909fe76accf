namespace Dataflow.Cluster;

/// <summary>
/// Where the subtasks of each parallelism run in one copy of a cluster job: a participant per subtask,
/// set by the coordinator's placement, by a rescale, or round-robin over the job's workers until then.
/// Every copy of the program keeps the same table (it changes only at points all copies reach).
/// </summary>
internal sealed class SubtaskHosts
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, int[]> _hosts = new();
    private readonly HashSet<int> _pinned = new();

    /// <summary>The participant of <paramref name="subtask"/> at <paramref name="parallelism"/>; round-robin over <paramref name="active"/> when not placed.</summary>
    public int HostOf(int parallelism, int subtask, IReadOnlyList<int> active)
    {
        lock (_lock)
        {
            if (_hosts.TryGetValue(parallelism, out var hosts)) return hosts[subtask];
            return active[subtask % active.Count];
        }
    }

    /// <summary>Places <paramref name="parallelism"/> unless <paramref name="keep"/> says its current placement stands; <paramref name="place"/> computes a new one.</summary>
    public void Pin(int parallelism, Func<int[], bool> keep, Func<int[]> place)
    {
        lock (_lock)
        {
            if (_hosts.TryGetValue(parallelism, out var earlier) && keep(earlier)) return;
            _hosts[parallelism] = place();
            _pinned.Add(parallelism);
        }
    }

    /// <summary>
    /// Fixes where the subtasks of <paramref name="parallelism"/> run before iteration state moves to
    /// them: an earlier placement if there is one and its workers are still in the job, else
    /// round-robin over the workers — or, when the job acquires and releases workers
    /// (<paramref name="packed"/>), packed: each worker's slots filled before the next worker's.
    /// The coordinator is not asked to place it again.
    /// </summary>
    /// <param name="parallelism">The subtasks to place.</param>
    /// <param name="from">Where the subtasks of the parallelism the state moves from run (participant per subtask), if it moves.</param>
    /// <param name="maxParallelism">The number of key groups.</param>
    /// <param name="active">The positions of the job's workers.</param>
    /// <param name="slots">The slots of each worker.</param>
    /// <param name="packed">Whether the job acquires and releases workers (then it packs again every time: a position may hold another worker than when it was placed).</param>
    /// <param name="isVacant">Whether a position's worker was released.</param>
    /// <remarks>
    /// Packed placement keeps as much state where it is as it can: it takes the workers that hold the most of
    /// the key groups, and gives each new subtask the worker that holds the most of its key groups
    /// (<see cref="PackedPlacement.PackByLocality"/>); a new worker gets what is left. Records kept per subtask are split by
    /// position, in proportion like the key groups, so what stays for them follows too.
    /// </remarks>
    public void Pin(int parallelism, int[]? from, int maxParallelism, IReadOnlyList<int> active, int slots, bool packed, Func<int, bool> isVacant) =>
        Pin(parallelism,
            keep: earlier => !packed && earlier.All(h => !isVacant(h)),
            place: () => !packed ? Enumerable.Range(0, parallelism).Select(s => active[s % active.Count]).ToArray()
                : from is null || parallelism > active.Count * slots ? Enumerable.Range(0, parallelism).Select(s => active[s / slots % active.Count]).ToArray()
                : PackedPlacement.PackByLocality(parallelism, from, active, slots, maxParallelism));

    /// <summary>Sets where the subtasks of <paramref name="parallelism"/> run from now on.</summary>
    public void Set(int parallelism, int[] hosts)
    {
        lock (_lock)
        {
            _hosts[parallelism] = hosts;
            _pinned.Add(parallelism);
        }
    }

    /// <summary>Records a placement the coordinator made (not pinned: the coordinator places it again when workers change).</summary>
    public void Placed(int parallelism, int[] hosts)
    {
        lock (_lock) _hosts[parallelism] = hosts;
    }

    /// <summary>Forgets every placement (after a recovery, alike in every copy).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _hosts.Clear();
            _pinned.Clear();
        }
    }

    /// <summary>Forgets placements that name one of <paramref name="released"/>: such a parallelism is placed again when next used.</summary>
    public void Forget(IReadOnlyCollection<int> released)
    {
        lock (_lock)
        {
            foreach (var (p, hosts) in _hosts.Where(x => x.Value.Any(released.Contains)).ToList())
            {
                _hosts.Remove(p);
                _pinned.Remove(p);
            }
        }
    }

    /// <summary>Of <paramref name="parallelisms"/>, those the coordinator has to place (not pinned by a rescale).</summary>
    public int[] Unpinned(IEnumerable<int> parallelisms)
    {
        lock (_lock) return parallelisms.Where(p => !_pinned.Contains(p)).ToArray();
    }
}
