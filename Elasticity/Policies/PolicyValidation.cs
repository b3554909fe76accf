namespace Dataflow.Elasticity.Policies;

/// <summary>Checks shared by the policies' options.</summary>
internal static class PolicyValidation
{
    /// <summary>What is wrong with the parallelism range, or null when 1 ≤ min ≤ max (when max is set).</summary>
    public static string? RangeError(int min, int? max, Func<string, string> nameOf) =>
        min < 1 ? $"{nameOf("MinParallelism")} must be at least 1, not {min}."
        : max is { } m && m < min ? $"{nameOf("MaxParallelism")} must be at least {nameOf("MinParallelism")} ({min}), not {m}."
        : null;
}
