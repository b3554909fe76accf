namespace Dataflow.Scheduling.Prediction;

/// <summary>How a <see cref="SlidingHmmPredictor"/> turns its predicted state distribution into a value.</summary>
public enum HmmPredictionMode
{
    /// <summary>The expected value: state means weighted by their predicted probabilities (smallest squared error).</summary>
    Expected,

    /// <summary>The mean of the most probable state (sharper: predicts a saturated state as saturated).</summary>
    MostLikely,
}

/// <summary>Options of a <see cref="SlidingHmmPredictor"/>.</summary>
public sealed class SlidingHmmOptions
{
    /// <summary>Number of hidden states, which is also the number of quantization levels of [Minimum, Maximum]; default 5, 2 to 20.</summary>
    public int States { get; set; } = 5;

    /// <summary>Number of newest observations re-estimated at every update; default 60, at least 10.</summary>
    public int Window { get; set; } = 60;

    /// <summary>Baum–Welch iterations per update; default 2.</summary>
    public int Iterations { get; set; } = 2;

    /// <summary>
    /// Weight of the newest window's expected counts in the moving average with the previous ones;
    /// default 0.3, in (0, 1]. 1 re-estimates from the window alone; smaller values remember
    /// outdated observations longer (for about 1 / weight updates).
    /// </summary>
    public double BlendWeight { get; set; } = 0.3;

    /// <summary>The model is updated after this many new observations; default 1.</summary>
    public int UpdateInterval { get; set; } = 1;

    /// <summary>Below this many observations the prediction is the last value; default 10.</summary>
    public int MinObservations { get; set; } = 10;

    /// <summary>Pseudo-count added to every transition and emission count, so that no probability becomes zero; default 0.001.</summary>
    public double Smoothing { get; set; } = 1e-3;

    /// <summary>How predicted state probabilities become a value; default <see cref="HmmPredictionMode.Expected"/>.</summary>
    public HmmPredictionMode Mode { get; set; } = HmmPredictionMode.Expected;

    /// <summary>Lower end of the quantized range (and of predictions); default 0.</summary>
    public double Minimum { get; set; }

    /// <summary>Upper end of the quantized range (and of predictions); default 1 (utilizations).</summary>
    public double Maximum { get; set; } = 1;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(States, 2, nameof(States));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(States, 20, nameof(States));
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 10, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfLessThan(Iterations, 1, nameof(Iterations));
        if (!(BlendWeight > 0 && BlendWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(BlendWeight), BlendWeight, "BlendWeight must be in (0, 1].");
        ArgumentOutOfRangeException.ThrowIfLessThan(UpdateInterval, 1, nameof(UpdateInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinObservations, 2, nameof(MinObservations));
        if (!(Smoothing > 0)) throw new ArgumentOutOfRangeException(nameof(Smoothing), Smoothing, "Smoothing must be positive.");
        if (!(Maximum > Minimum)) throw new ArgumentOutOfRangeException(nameof(Maximum), Maximum, "Maximum must be greater than Minimum.");
    }
}
