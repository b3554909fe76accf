using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

// "Placement" names both this namespace and the runtime's subtask → worker record; the alias picks the record.
using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>Slots given out per worker during one placement decision.</summary>
internal sealed class SlotTable
{
    private readonly IReadOnlyList<WorkerInfo> _workers;
    private readonly Dictionary<string, int> _used = [];
    private readonly Dictionary<string, int> _capacity = [];

    public SlotTable(IReadOnlyList<WorkerInfo> workers, int parallelism)
    {
        if (workers.Count == 0) throw new ArgumentException("There is no worker to place on.", nameof(workers));
        ArgumentOutOfRangeException.ThrowIfNegative(parallelism);
        _workers = workers;
        foreach (var w in workers)
        {
            _used[w.Id] = 0;
            _capacity[w.Id] = Math.Max(1, w.Slots);
        }
    }

    public IReadOnlyList<WorkerInfo> Workers => _workers;

    /// <summary>The worker of subtask <paramref name="subtask"/> in <paramref name="current"/>, when it is still available.</summary>
    public string? Preferred(Placement? current, int subtask) =>
        current is not null && subtask < current.Workers.Count && _used.ContainsKey(current.Workers[subtask]) ? current.Workers[subtask] : null;

    public bool HasFreeSlot(string worker) => _used[worker] < _capacity[worker];

    public bool AnyFreeSlot(Func<string, bool> where) => _workers.Any(w => where(w.Id) && HasFreeSlot(w.Id));

    /// <summary>The fraction of its slots already given to <paramref name="worker"/>.</summary>
    public double Fill(string worker) => (double)_used[worker] / _capacity[worker];

    public void Take(string worker) => _used[worker]++;

    /// <summary>Among the workers satisfying <paramref name="where"/> (all if none does), the one with the lowest fill; ties go to the first.</summary>
    public string LeastLoaded(Func<string, bool> where)
    {
        string? best = null;
        foreach (var w in _workers)
        {
            if (!where(w.Id)) continue;
            if (best is null || Fill(w.Id) < Fill(best)) best = w.Id;
        }
        return best ?? LeastLoaded(_ => true);
    }
}
