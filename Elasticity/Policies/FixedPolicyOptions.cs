using Dataflow.Elasticity.Policies;

namespace Dataflow;

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
        if (FindError() is { } error) throw new ArgumentException(error);
    }

    /// <summary>What is wrong with the schedule, or null when it is valid.</summary>
    /// <param name="nameOf">How the description names an option, given its property name (e.g. a command line's flag); the property name when null.</param>
    /// <returns>The description, or null.</returns>
    public string? FindError(Func<string, string>? nameOf = null)
    {
        nameOf ??= static n => n;
        if (Schedule is null || Schedule.Count == 0) return $"{nameOf(nameof(Schedule))} needs at least one parallelism.";
        for (int i = 0; i < Schedule.Count; i++)
        {
            if (Schedule[i] < 1) return $"{nameOf(nameof(Schedule))} entry {i + 1} is {Schedule[i]}; every parallelism must be at least 1.";
        }
        return null;
    }
}
