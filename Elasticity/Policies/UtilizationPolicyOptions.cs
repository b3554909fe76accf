using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>Knobs of the <see cref="UtilizationPolicy"/> (the ICDCSW'16 prototype, docs/architecture.md §8).</summary>
public sealed class UtilizationPolicyOptions
{
    /// <summary>The CPU utilization the policy steers toward, in (0, 1]. Default 0.7.</summary>
    public double TargetCpu { get; set; } = 0.7;

    /// <summary>
    /// Half-width of the hysteresis band around <see cref="TargetCpu"/>, in [0, 1): a measured utilization
    /// within <c>TargetCpu ± Band</c> keeps the parallelism, so a noisy measurement does not flap. Default 0.1.
    /// </summary>
    public double Band { get; set; } = 0.1;

    /// <summary>
    /// Supersteps that must run at a parallelism before it may change again (≥ 1; 1 allows a change at
    /// every barrier). The superstep right after a rescale also pays for moving state, so its measurement
    /// is not representative. Default 1.
    /// </summary>
    public int CooldownSupersteps { get; set; } = 1;

    /// <summary>The smallest parallelism the policy chooses (≥ 1). Default 1.</summary>
    public int MinParallelism { get; set; } = 1;

    /// <summary>
    /// The largest parallelism the policy chooses (≥ <see cref="MinParallelism"/>), or null for the total
    /// slots of the workers available at the barrier (at least the current parallelism). Default null.
    /// </summary>
    public int? MaxParallelism { get; set; }

    /// <summary>
    /// Cores behind one slot, in (0, 64]: the capacity utilization is measured against. 1 when a subtask
    /// may use a whole core; e.g. 0.25 for workers held to a quarter core per slot. Default 1.
    /// </summary>
    public double SlotCapacity { get; set; } = 1;

    /// <summary>
    /// When the utilization is above the band but <c>floor(U / TargetCpu × p)</c> does not exceed p, step
    /// to p + 1 (default true). Utilization cannot exceed 1, so with the plain formula a saturated job at
    /// p ≤ 2 (target 0.7) would never scale out; false applies the formula as published.
    /// </summary>
    public bool ScaleOutAtLeastOne { get; set; } = true;

    /// <summary>
    /// Scale in only after this many consecutive supersteps at the current parallelism below the band
    /// (default 1: at once). Damps the oscillation between neighbouring parallelisms that noisy
    /// utilization readings cause.
    /// </summary>
    public int ScaleInPatience { get; set; } = 1;

    /// <summary>
    /// How many past supersteps the policy remembers overloads for (default 10; 0: none): it does not
    /// scale in to a parallelism at or below one whose utilization was above the band within that many
    /// supersteps — the parallelism it just had to leave because it was too small.
    /// </summary>
    public int OverloadMemory { get; set; } = 10;

    /// <summary>
    /// Scale out only when the last superstep took at least this many milliseconds (default 0: always
    /// may). A scale-out pays off through shorter supersteps; when they are already shorter than moving
    /// state and acquiring workers takes (between worker processes, tens of milliseconds and more), more
    /// workers cannot win that back. Scale-in, which releases resources, is not held back.
    /// </summary>
    public double ScaleOutMinSuperstepMs { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of its documented range.</exception>
    public void Validate()
    {
        if (FindError() is { } error) throw new ArgumentException(error);
    }

    /// <summary>The first option out of range, described, or null when all are valid.</summary>
    /// <param name="nameOf">How the description names an option, given its property name (e.g. a command line's flag); the property name when null.</param>
    /// <returns>The description, or null.</returns>
    public string? FindError(Func<string, string>? nameOf = null)
    {
        nameOf ??= static n => n;
        return !(TargetCpu > 0 && TargetCpu <= 1) ? $"{nameOf(nameof(TargetCpu))} must be in (0, 1], not {F(TargetCpu)}."
            : !(Band >= 0 && Band < 1) ? $"{nameOf(nameof(Band))} must be in [0, 1), not {F(Band)}."
            : CooldownSupersteps < 1 ? $"{nameOf(nameof(CooldownSupersteps))} must be at least 1, not {CooldownSupersteps}."
            : ScaleInPatience < 1 ? $"{nameOf(nameof(ScaleInPatience))} must be at least 1, not {ScaleInPatience}."
            : OverloadMemory < 0 ? $"{nameOf(nameof(OverloadMemory))} must be at least 0, not {OverloadMemory}."
            : !(ScaleOutMinSuperstepMs >= 0 && double.IsFinite(ScaleOutMinSuperstepMs)) ? $"{nameOf(nameof(ScaleOutMinSuperstepMs))} must be at least 0, not {F(ScaleOutMinSuperstepMs)}."
            : !(SlotCapacity > 0 && SlotCapacity <= 64) ? $"{nameOf(nameof(SlotCapacity))} must be in (0, 64], not {F(SlotCapacity)}."
            : PolicyValidation.RangeError(MinParallelism, MaxParallelism, nameOf);
    }

    private static string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
