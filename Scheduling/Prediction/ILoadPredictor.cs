namespace Dataflow.Scheduling.Prediction;

/// <summary>
/// Predicts the next values of one metric series of one worker (docs/architecture.md §9) from the values
/// observed so far. One instance per series: it keeps the recent window and its fitted model.
/// </summary>
/// <remarks>
/// <para>Contract, checked by the predictor contract tests for every implementation: non-finite
/// observations (NaN marks a value the monitor could not read) are ignored; after at least one
/// observation, <see cref="Predict"/> returns <c>horizon</c> finite values within the predictor's
/// [Minimum, Maximum] range (by default [0, 1], for utilizations), even with a short history, where
/// it falls back to the last observed value; a constant series predicts that constant.</para>
/// <para>Metrics that are not utilizations (bytes per second) should be divided by a capacity
/// before they are observed, so that one threshold applies to all.</para>
/// <para>Not thread-safe: one series is fed by one thread at a time.</para>
/// </remarks>
public interface ILoadPredictor
{
    /// <summary>The predictor's name as used on the command line (<c>arima</c>, <c>slidhmm</c>).</summary>
    string Name { get; }

    /// <summary>The number of observations in the current window.</summary>
    int Count { get; }

    /// <summary>Appends the newest observation; the oldest one leaves the window when it is full.</summary>
    void Observe(double value);

    /// <summary>Predicts the next <paramref name="horizon"/> values; element k is the prediction k + 1 steps ahead.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="horizon"/> is less than 1.</exception>
    /// <exception cref="InvalidOperationException">Nothing was observed yet.</exception>
    double[] Predict(int horizon);

    /// <summary>Forgets all observations and the fitted model.</summary>
    void Reset();
}
