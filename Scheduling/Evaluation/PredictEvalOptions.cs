using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Evaluation;

/// <summary>Options of <see cref="PredictEval"/> (the <c>predict-eval</c> command's options).</summary>
public sealed class PredictEvalOptions
{
    /// <summary>The predictor: <c>arima</c>, <c>slidhmm</c>, or <c>last</c> (the persistence baseline: predicts the last value); default <c>arima</c>.</summary>
    public string Model { get; set; } = ArimaPredictor.PredictorName;

    /// <summary>Prediction horizon in samples; default 5.</summary>
    public int Horizon { get; set; } = 5;

    /// <summary>Bottleneck threshold τ on normalized utilization; default 0.9.</summary>
    public double Threshold { get; set; } = BottleneckDetector.DefaultThreshold;

    /// <summary>Predictor window; default null (the predictor's own default, 60).</summary>
    public int? Window { get; set; }

    /// <summary>Time points with fewer observations than this are not evaluated; default 10.</summary>
    public int Warmup { get; set; } = 10;

    /// <summary>How the sliding HMM turns state probabilities into a value; default <see cref="HmmPredictionMode.MostLikely"/> (sharper bottleneck calls).</summary>
    public HmmPredictionMode HmmMode { get; set; } = HmmPredictionMode.MostLikely;

    /// <summary>The metrics to evaluate; default null = every metric in the trace.</summary>
    public IReadOnlyCollection<string>? Metrics { get; set; }

    /// <summary>
    /// Capacities of metrics that are not utilizations (bytes per second), by metric name: their values
    /// are divided by it. A metric without one is divided by the largest value of its series.
    /// </summary>
    public IDictionary<string, double> Capacities { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentException">An option is out of range or the model is unknown.</exception>
    public void Validate()
    {
        if (Model != PredictEval.PersistenceName && !LoadPredictors.Names.Contains(Model))
        {
            throw new ArgumentException($"Unknown model '{Model}'; expected one of: {string.Join(", ", LoadPredictors.Names.Append(PredictEval.PersistenceName))}.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(Horizon, 1, nameof(Horizon));
        if (!(Threshold > 0)) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "The threshold must be positive.");
        if (Window is { } w) ArgumentOutOfRangeException.ThrowIfLessThan(w, 10, nameof(Window));
        ArgumentOutOfRangeException.ThrowIfLessThan(Warmup, 1, nameof(Warmup));
        foreach (var (metric, capacity) in Capacities)
        {
            if (!(capacity > 0)) throw new ArgumentOutOfRangeException(nameof(Capacities), capacity, $"The capacity of {metric} must be positive.");
        }
    }
}
