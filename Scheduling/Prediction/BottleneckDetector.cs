namespace Dataflow.Scheduling.Prediction;

/// <summary>Decides whether predicted utilizations make a bottleneck: a value at or above the threshold τ within the horizon.</summary>
public sealed class BottleneckDetector
{
    /// <summary>The default threshold τ.</summary>
    public const double DefaultThreshold = 0.9;

    /// <summary>Creates a detector with threshold <paramref name="threshold"/> (default 0.9), in (0, 1] for utilizations.</summary>
    public BottleneckDetector(double threshold = DefaultThreshold)
    {
        if (!(threshold > 0)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be positive.");
        Threshold = threshold;
    }

    /// <summary>The threshold τ.</summary>
    public double Threshold { get; }

    /// <summary>True when any of <paramref name="values"/> is at or above <see cref="Threshold"/>.</summary>
    public bool IsBottleneck(ReadOnlySpan<double> values) => FirstBottleneck(values) >= 0;

    /// <summary>The index of the first value at or above <see cref="Threshold"/>, or −1.</summary>
    public int FirstBottleneck(ReadOnlySpan<double> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] >= Threshold) return i;
        }
        return -1;
    }

    /// <summary>True when <paramref name="predictor"/> predicts a bottleneck within <paramref name="horizon"/> steps (false without observations).</summary>
    public bool IsBottleneck(ILoadPredictor predictor, int horizon) =>
        predictor.Count > 0 && IsBottleneck(predictor.Predict(horizon));
}
