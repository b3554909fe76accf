namespace Dataflow.Scheduling.Placement;

/// <summary>Options of the placement policies.</summary>
public sealed class PlacementOptions
{
    /// <summary>Score of placing a subtask on the worker holding its state or data; default 1.</summary>
    public double LocalityWeight { get; set; } = 1;

    /// <summary>Penalty per unit of predicted load (0..1) of a worker; default 1, so locality wins unless the load differs by more than the locality benefit.</summary>
    public double LoadWeight { get; set; } = 1;

    /// <summary>Penalty per fraction of a worker's slots already given out in the same decision; default 0.25 (spreads subtasks).</summary>
    public double SpreadWeight { get; set; } = 0.25;

    /// <summary>Predicted load assumed for a worker without a forecast when others have one; default 0.5.</summary>
    public double UnknownLoad { get; set; } = 0.5;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (!(LocalityWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(LocalityWeight), LocalityWeight, "Must be non-negative.");
        if (!(LoadWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(LoadWeight), LoadWeight, "Must be non-negative.");
        if (!(SpreadWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(SpreadWeight), SpreadWeight, "Must be non-negative.");
        if (!(UnknownLoad >= 0 && UnknownLoad <= 1)) throw new ArgumentOutOfRangeException(nameof(UnknownLoad), UnknownLoad, "Must be in [0, 1].");
    }
}
