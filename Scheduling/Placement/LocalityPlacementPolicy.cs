using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

// "Placement" names both this namespace and the runtime's subtask → worker record; the alias picks the record.
using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>
/// Locality-only placement (<c>--placement locality</c>): every subtask stays on the worker of its
/// previous placement (where its key groups' state lives) while that worker is available and has a
/// free slot; the others go to the least-loaded workers. Without a previous placement, subtasks are
/// spread evenly over the slots.
/// </summary>
/// <remarks>Pure: the decision depends only on its arguments.</remarks>
public sealed class LocalityPlacementPolicy : IExplainedPlacementPolicy
{
    /// <summary>The name used on the command line.</summary>
    public const string PolicyName = "locality";

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <inheritdoc />
    public Placement Place(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current) =>
        Explain(vertex, parallelism, workers, current).ToPlacement();

    /// <inheritdoc />
    public PlacementEvent Explain(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current) =>
        Explain(PolicyName, vertex, parallelism, workers, current, reasonPrefix: "");

    internal static PlacementEvent Explain(string policy, string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current, string reasonPrefix)
    {
        var slots = new SlotTable(workers, parallelism);
        var result = new PlacementAssignment?[parallelism];
        // Subtasks whose worker can keep them go first, so that a subtask without a preference never takes their slot.
        for (int s = 0; s < parallelism; s++)
        {
            var preferred = slots.Preferred(current, s);
            if (preferred is not null && slots.HasFreeSlot(preferred))
            {
                slots.Take(preferred);
                result[s] = new PlacementAssignment(s, preferred, preferred, true, null, reasonPrefix + "local: keeps its state on " + preferred);
            }
        }
        for (int s = 0; s < parallelism; s++)
        {
            if (result[s] is not null) continue;
            var preferred = slots.Preferred(current, s);
            var worker = slots.LeastLoaded(w => true);
            slots.Take(worker);
            string why = preferred is not null ? $"{preferred} has no free slot"
                : current is not null && s < current.Workers.Count ? $"previous worker {current.Workers[s]} is gone"
                : "no previous placement";
            result[s] = new PlacementAssignment(s, worker, preferred, false, null, $"{reasonPrefix}{why}: least-loaded worker {worker}");
        }
        return new PlacementEvent(policy, vertex, result!, new Dictionary<string, WorkerForecast>());
    }
}
