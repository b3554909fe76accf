namespace Dataflow.Elasticity.Policies;

/// <summary>Knobs of the <see cref="FixedPolicy"/>.</summary>
public sealed class FixedPolicyOptions
{
    /// <summary>
    /// The parallelism of each superstep: superstep k (1-based) runs at <c>Schedule[k - 1]</c>, the last
    /// value repeating. The first entry is the parallelism the iteration should start with (the policy is
    /// first consulted after superstep 1). Every entry ≥ 1; at least one entry.
    /// </summary>
    public IList<int> Schedule { get; set; } = new List<int>();

    /// <summary>Throws when the schedule is empty or holds a parallelism below 1.</summary>
    /// <exception cref="ArgumentException">The schedule is empty or invalid.</exception>
    public void Validate()
    {
        if (Schedule is null || Schedule.Count == 0) throw new ArgumentException("The schedule needs at least one parallelism.", nameof(Schedule));
        for (int i = 0; i < Schedule.Count; i++)
        {
            if (Schedule[i] < 1) throw new ArgumentException($"Schedule entry {i + 1} is {Schedule[i]}; every parallelism must be at least 1.", nameof(Schedule));
        }
    }
}
