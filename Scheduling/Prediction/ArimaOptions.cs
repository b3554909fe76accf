namespace Dataflow.Scheduling.Prediction;

/// <summary>Options of an <see cref="ArimaPredictor"/>.</summary>
public sealed class ArimaOptions
{
    /// <summary>Number of newest observations the model is fitted on; default 60 (30 s at 2 Hz), at least 10.</summary>
    public int Window { get; set; } = 60;

    /// <summary>Largest autoregressive order tried; default 3.</summary>
    public int MaxP { get; set; } = 3;

    /// <summary>Largest differencing order tried; default 1.</summary>
    public int MaxD { get; set; } = 1;

    /// <summary>Largest moving-average order tried; default 2.</summary>
    public int MaxQ { get; set; } = 2;

    /// <summary>Below this many observations the prediction is the last value; default 10.</summary>
    public int MinObservations { get; set; } = 10;

    /// <summary>Coefficients are re-estimated (for the chosen orders) after this many new observations; default 1.</summary>
    public int RefitInterval { get; set; } = 1;

    /// <summary>Orders are re-chosen by AIC over the whole grid after this many new observations; default 10.</summary>
    /// <remarks>The grid holds up to 24 models; searching it at every sample costs about 24 fits, which is why it is spaced out.</remarks>
    public int OrderSelectionInterval { get; set; } = 10;

    /// <summary>Most Gauss–Newton iterations refining the conditional sum of squares per fit; default 10 (refits start from the previous coefficients and need few).</summary>
    public int MaxIterations { get; set; } = 10;

    /// <summary>Predictions are clamped to at least this; default 0.</summary>
    public double Minimum { get; set; }

    /// <summary>Predictions are clamped to at most this; default 1 (utilizations).</summary>
    public double Maximum { get; set; } = 1;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, 10, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxP, nameof(MaxP));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxD, nameof(MaxD));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxQ, nameof(MaxQ));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxD, 2, nameof(MaxD));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinObservations, 1, nameof(MinObservations));
        ArgumentOutOfRangeException.ThrowIfLessThan(RefitInterval, 1, nameof(RefitInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(OrderSelectionInterval, 1, nameof(OrderSelectionInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 0, nameof(MaxIterations));
        if (!(Maximum > Minimum)) throw new ArgumentOutOfRangeException(nameof(Maximum), Maximum, "Maximum must be greater than Minimum.");
        if (Window < 2 * (MaxP + MaxD + MaxQ) + 4)
        {
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "The window is too short for the largest orders of the grid.");
        }
    }
}
