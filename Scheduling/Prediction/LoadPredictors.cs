namespace Dataflow.Scheduling.Prediction;

/// <summary>Creates load predictors by their command-line names (<c>--predictor arima|slidhmm</c>).</summary>
public static class LoadPredictors
{
    /// <summary>The known names.</summary>
    public static IReadOnlyList<string> Names { get; } = [ArimaPredictor.PredictorName, SlidingHmmPredictor.PredictorName];

    /// <summary>A factory of fresh predictors named <paramref name="name"/>, with the given window (null = the predictor's default).</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static Func<ILoadPredictor> Factory(string name, int? window = null) => name switch
    {
        ArimaPredictor.PredictorName => () => new ArimaPredictor(window is { } w ? new ArimaOptions { Window = w } : null),
        SlidingHmmPredictor.PredictorName => () => new SlidingHmmPredictor(window is { } w ? new SlidingHmmOptions { Window = w } : null),
        _ => throw new ArgumentException($"Unknown predictor '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>A fresh predictor named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The name is unknown.</exception>
    public static ILoadPredictor Create(string name) => Factory(name)();
}
