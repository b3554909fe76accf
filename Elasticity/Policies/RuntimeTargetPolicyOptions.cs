using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>Knobs of the <see cref="RuntimeTargetPolicy"/> (Ellis, docs/architecture.md §8).</summary>
public sealed class RuntimeTargetPolicyOptions
{
    /// <summary>
    /// The runtime target in milliseconds (&gt; 0, required): of the whole iteration, counted from its first
    /// superstep, when <see cref="ExpectedSupersteps"/> is known; otherwise of every single superstep.
    /// </summary>
    public double TargetMs { get; set; }

    /// <summary>
    /// How many supersteps the iteration runs in total (≥ 1), when known (e.g. a fixed number of
    /// iterations); null when unknown, which makes <see cref="TargetMs"/> a per-superstep target. Default null.
    /// </summary>
    public int? ExpectedSupersteps { get; set; }

    /// <summary>The smallest parallelism the policy chooses (≥ 1). Default 1.</summary>
    public int MinParallelism { get; set; } = 1;

    /// <summary>
    /// The largest parallelism the policy chooses (≥ <see cref="MinParallelism"/>), or null for the total
    /// slots of the workers available at the barrier (at least the current parallelism). Default null.
    /// </summary>
    public int? MaxParallelism { get; set; }

    /// <summary>Scale out when the predicted remaining time exceeds this multiple of the budget (&gt; 1). Default 1.05.</summary>
    public double ScaleOutAbove { get; set; } = 1.05;

    /// <summary>Consider scaling in when the predicted remaining time is below this multiple of the budget (in (0, 1)). Default 0.85.</summary>
    public double ScaleInBelow { get; set; } = 0.85;

    /// <summary>
    /// A new parallelism is the smallest one predicted to finish under this multiple of the budget
    /// (in [<see cref="ScaleInBelow"/>, 1]). Default 0.9.
    /// </summary>
    public double PickUnder { get; set; } = 0.9;

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
        return !(TargetMs > 0) || double.IsInfinity(TargetMs) ? $"{nameOf(nameof(TargetMs))} must be a positive number of milliseconds, not {F(TargetMs)}."
            : ExpectedSupersteps is < 1 ? $"{nameOf(nameof(ExpectedSupersteps))} must be at least 1 when set, not {ExpectedSupersteps}."
            : !(ScaleOutAbove > 1) ? $"{nameOf(nameof(ScaleOutAbove))} must be greater than 1, not {F(ScaleOutAbove)}."
            : !(ScaleInBelow > 0 && ScaleInBelow < 1) ? $"{nameOf(nameof(ScaleInBelow))} must be in (0, 1), not {F(ScaleInBelow)}."
            : !(PickUnder >= ScaleInBelow && PickUnder <= 1) ? $"{nameOf(nameof(PickUnder))} must be in [{nameOf(nameof(ScaleInBelow))}, 1] = [{F(ScaleInBelow)}, 1], not {F(PickUnder)}."
            : PolicyValidation.RangeError(MinParallelism, MaxParallelism, nameOf);
    }

    private static string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
