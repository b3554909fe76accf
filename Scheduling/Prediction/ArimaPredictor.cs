namespace Dataflow.Scheduling.Prediction;

/// <summary>
/// ARIMA load predictor (docs/architecture.md §9): an ARIMA(p, d, q) model fitted on a sliding window of the
/// newest observations, its orders chosen by AIC over a small grid (see <see cref="ArimaOptions"/>).
/// </summary>
/// <remarks>
/// Fitting is lazy: it happens in <see cref="Predict"/>, at most once per
/// <see cref="ArimaOptions.RefitInterval"/> new observations, with a full order search once per
/// <see cref="ArimaOptions.OrderSelectionInterval"/>. With fewer than
/// <see cref="ArimaOptions.MinObservations"/> observations, or a flat window, the prediction is the
/// last value; predictions are clamped to [<see cref="ArimaOptions.Minimum"/>, <see cref="ArimaOptions.Maximum"/>].
/// </remarks>
public sealed class ArimaPredictor : ILoadPredictor
{
    /// <summary>The name used on the command line.</summary>
    public const string PredictorName = "arima";

    private readonly ArimaOptions _options;
    private readonly SlidingWindow _window;
    private ArimaModel? _model;
    private int _sinceFit;
    private int _sinceSelection;

    /// <summary>Creates a predictor with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ArimaPredictor(ArimaOptions? options = null)
    {
        _options = options ?? new ArimaOptions();
        _options.Validate();
        _window = new SlidingWindow(_options.Window);
    }

    /// <inheritdoc />
    public string Name => PredictorName;

    /// <inheritdoc />
    public int Count => _window.Count;

    /// <summary>The model used by the last prediction (null before the first fit).</summary>
    public ArimaModel? Model => _model;

    /// <inheritdoc />
    public void Observe(double value)
    {
        if (!_window.Add(value)) return;
        _sinceFit++;
        _sinceSelection++;
    }

    /// <inheritdoc />
    public double[] Predict(int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        if (_window.Count == 0) throw new InvalidOperationException("The ARIMA predictor has no observations yet.");
        var result = new double[horizon];
        var series = _window.ToArray();
        if (series.Length < _options.MinObservations || IsFlat(series))
        {
            Array.Fill(result, Clamp(series[^1]));
            return result;
        }
        if (_model is null || _sinceSelection >= _options.OrderSelectionInterval)
        {
            _model = ArimaModel.SelectByAic(series, _options.MaxP, _options.MaxD, _options.MaxQ, _options.MaxIterations);
            (_sinceFit, _sinceSelection) = (0, 0);
        }
        else if (_sinceFit >= _options.RefitInterval)
        {
            _model = _model.Refit(series, _options.MaxIterations);
            _sinceFit = 0;
        }
        _model.Forecast(series, result);
        for (int i = 0; i < horizon; i++) result[i] = double.IsFinite(result[i]) ? Clamp(result[i]) : Clamp(series[^1]);
        return result;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _window.Clear();
        _model = null;
        (_sinceFit, _sinceSelection) = (0, 0);
    }

    private double Clamp(double value) => Math.Clamp(value, _options.Minimum, _options.Maximum);

    // A window without variation has no model to fit (every sum of squares is zero).
    private static bool IsFlat(double[] series)
    {
        double min = series[0], max = series[0];
        foreach (var v in series)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        return max - min <= 1e-12 * Math.Max(1, Math.Abs(max));
    }
}
