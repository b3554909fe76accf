namespace Dataflow.Elasticity.Policies;

/// <summary>Checks shared by the policies' options.</summary>
internal static class PolicyValidation
{
    /// <summary>Throws unless 1 ≤ min ≤ max (when max is set).</summary>
    public static void ValidateRange(int min, int? max)
    {
        if (min < 1) throw new ArgumentOutOfRangeException("MinParallelism", min, "MinParallelism must be at least 1.");
        if (max is { } m && m < min) throw new ArgumentOutOfRangeException("MaxParallelism", m, $"MaxParallelism must be at least MinParallelism ({min}).");
    }
}
