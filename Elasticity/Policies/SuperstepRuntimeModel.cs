using System.Globalization;
using Dataflow.Elasticity.ScaleOut;

namespace Dataflow.Elasticity.Policies;

/// <summary>
/// Superstep runtime as a function of parallelism, fitted on observed (parallelism, duration) points
/// as docs/architecture.md §8 prescribes: Bell inside the observed range of parallelisms, Ernest outside it.
/// </summary>
/// <remarks>
/// Bell itself predicts the mean with at most two distinct parallelisms. With a single one neither model
/// can tell anything about other parallelisms (Ernest's four terms all fit one point equally well), so the
/// model assumes linear scaling from it, <c>t(x) = mean · p / x</c>: optimistic, and corrected by the
/// next superstep's measurement at the new parallelism.
/// </remarks>
internal sealed class SuperstepRuntimeModel
{
    private readonly BellModel? _bell;
    private readonly ErnestModel? _ernest;
    private readonly double _lo, _hi, _mean;

    private SuperstepRuntimeModel(BellModel? bell, ErnestModel? ernest, double lo, double hi, double mean, string description)
    {
        _bell = bell;
        _ernest = ernest;
        _lo = lo;
        _hi = hi;
        _mean = mean;
        Description = description;
    }

    /// <summary>Which model predicts, for the reason string.</summary>
    public string Description { get; }

    /// <summary>Fits the model to durations <paramref name="y"/> (ms) at parallelisms <paramref name="x"/>.</summary>
    public static SuperstepRuntimeModel Fit(double[] x, double[] y)
    {
        var ci = CultureInfo.InvariantCulture;
        double lo = x.Min(), hi = x.Max(), mean = y.Average();
        var distinct = x.Distinct().Order().ToArray();
        string points = string.Create(ci, $"{x.Length} point(s) at p∈{{{string.Join(",", distinct)}}}");
        if (distinct.Length == 1)
        {
            return new SuperstepRuntimeModel(null, null, lo, hi, mean, $"linear scaling from one parallelism ({points})");
        }
        var bell = new BellModel();
        bell.Fit(x, y);
        var ernest = new ErnestModel();
        ernest.Fit(x, y);
        string inside = bell.Chosen switch
        {
            null => "mean",
            KernelRegressionModel k => string.Create(ci, $"kernel h={k.Bandwidth}"),
            _ => "Ernest",
        };
        var theta = string.Join(",", ernest.Coefficients.Select(c => c.ToString("G4", ci)));
        return new SuperstepRuntimeModel(bell, ernest, lo, hi, mean, $"Bell({inside}) inside {lo}..{hi}, Ernest θ=({theta}) outside, {points}");
    }

    /// <summary>The predicted superstep duration (ms) at parallelism <paramref name="x"/>; +∞ when a model cannot say.</summary>
    public double Predict(int x)
    {
        double t = _bell is null ? _mean * _lo / x
            : x >= _lo && x <= _hi ? _bell.Predict(x)
            : _ernest!.Predict(x);
        return double.IsFinite(t) ? Math.Max(0, t) : double.PositiveInfinity;
    }
}
