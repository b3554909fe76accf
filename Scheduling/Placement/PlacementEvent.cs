using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

// "Placement" names both this namespace and the runtime's subtask → worker record; the alias picks the record.
using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>Where one subtask (or input split) went, and why.</summary>
/// <param name="Subtask">The subtask index (−1 for an input split).</param>
/// <param name="Worker">The chosen worker.</param>
/// <param name="Preferred">The worker holding its state or data (the previous placement, the split's host), if any.</param>
/// <param name="Local">Whether <paramref name="Worker"/> is <paramref name="Preferred"/>.</param>
/// <param name="PredictedLoad">The chosen worker's predicted load, when there was a prediction.</param>
/// <param name="Reason">Why, in words, with the inputs that decided it.</param>
public sealed record PlacementAssignment(int Subtask, string Worker, string? Preferred, bool Local, double? PredictedLoad, string Reason);

/// <summary>
/// A placement decision with its inputs and reasons: what the engine writes as a <c>placement</c>
/// event in <c>--stats</c> (<c>assignments</c> from <see cref="Assignments"/>, <c>predictions</c> from <see cref="Predictions"/>).
/// </summary>
/// <param name="Policy">The policy's name.</param>
/// <param name="Vertex">The vertex placed.</param>
/// <param name="Assignments">One entry per subtask, in subtask order.</param>
/// <param name="Predictions">The forecasts the decision saw, by worker (empty without predictions).</param>
public sealed record PlacementEvent(
    string Policy, string Vertex, IReadOnlyList<PlacementAssignment> Assignments, IReadOnlyDictionary<string, WorkerForecast> Predictions)
{
    /// <summary>The placement itself (subtask → worker).</summary>
    public Placement ToPlacement() => new(Assignments.Select(a => a.Worker).ToArray());
}

/// <summary>A placement policy that can say why it placed as it did.</summary>
public interface IExplainedPlacementPolicy : IPlacementPolicy
{
    /// <summary>Like <see cref="IPlacementPolicy.Place"/>, returning the decision with its inputs and reasons.</summary>
    PlacementEvent Explain(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current);
}
