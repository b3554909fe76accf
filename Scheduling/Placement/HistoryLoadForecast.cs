using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Placement;

/// <summary>Options of a <see cref="HistoryLoadForecast"/>.</summary>
public sealed class LoadForecastOptions
{
    /// <summary>The metrics whose predictions count; default <c>cpu</c> (process CPU, which tells co-located workers apart).</summary>
    public IReadOnlyList<string> Metrics { get; set; } = [MetricNames.Cpu];

    /// <summary>Horizon in samples; default 5 (2.5 s at the default 500 ms sampling).</summary>
    public int Horizon { get; set; } = 5;

    /// <summary>Bottleneck threshold τ; default 0.9.</summary>
    public double Threshold { get; set; } = BottleneckDetector.DefaultThreshold;

    /// <summary>A series with fewer finite points than this gives no forecast; default 10.</summary>
    public int MinObservations { get; set; } = 10;

    /// <summary>Capacities of non-utilization metrics (bytes per second), by name; their values are divided by it before prediction.</summary>
    public IDictionary<string, double> Capacities { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Metrics.Count == 0) throw new ArgumentException("At least one metric is needed.", nameof(Metrics));
        ArgumentOutOfRangeException.ThrowIfLessThan(Horizon, 1, nameof(Horizon));
        if (!(Threshold > 0)) throw new ArgumentOutOfRangeException(nameof(Threshold), Threshold, "The threshold must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinObservations, 1, nameof(MinObservations));
        foreach (var metric in Metrics)
        {
            if (!MetricNames.IsUtilization(metric) && !Capacities.ContainsKey(metric))
            {
                throw new ArgumentException($"Metric '{metric}' is not a utilization; give its capacity in Capacities.", nameof(Metrics));
            }
        }
    }
}

/// <summary>
/// The coordinator's forecast: one predictor per worker and metric, fed from a <see cref="MetricHistory"/>
/// with the points added since the last call, asked for <see cref="LoadForecastOptions.Horizon"/> steps.
/// </summary>
/// <remarks>Predictions are computed when asked (at job start, at barriers, on split requests), not per heartbeat. Thread-safe.</remarks>
public sealed class HistoryLoadForecast : ILoadForecast
{
    private readonly MetricHistory _history;
    private readonly Func<ILoadPredictor> _factory;
    private readonly LoadForecastOptions _options;
    private readonly BottleneckDetector _detector;
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Worker, string Metric), (ILoadPredictor Predictor, long LastTimeMs)> _series = [];

    /// <summary>Creates a forecast over <paramref name="history"/> with predictors from <paramref name="predictorFactory"/> (see <see cref="LoadPredictors.Factory"/>).</summary>
    public HistoryLoadForecast(MetricHistory history, Func<ILoadPredictor> predictorFactory, LoadForecastOptions? options = null)
    {
        _history = history ?? throw new ArgumentNullException(nameof(history));
        _factory = predictorFactory ?? throw new ArgumentNullException(nameof(predictorFactory));
        _options = options ?? new LoadForecastOptions();
        _options.Validate();
        _detector = new BottleneckDetector(_options.Threshold);
    }

    /// <summary>The options in use.</summary>
    public LoadForecastOptions Options => _options;

    /// <inheritdoc />
    public bool TryGetForecast(string worker, out WorkerForecast forecast)
    {
        forecast = null!;
        lock (_lock)
        {
            foreach (var metric in _options.Metrics)
            {
                var predictor = Feed(worker, metric);
                if (predictor is null || predictor.Count < _options.MinObservations) continue;
                double peak = predictor.Predict(_options.Horizon).Max();
                if (forecast is null || peak > forecast.PredictedLoad)
                {
                    forecast = new WorkerForecast(worker, peak, _detector.IsBottleneck([peak]), metric);
                }
            }
        }
        return forecast is not null;
    }

    /// <summary>The forecasts of every worker in the history that has one (for the <c>predictions</c> of a placement event).</summary>
    public IReadOnlyDictionary<string, WorkerForecast> Snapshot()
    {
        var result = new Dictionary<string, WorkerForecast>();
        foreach (var worker in _history.Workers)
        {
            if (TryGetForecast(worker, out var f)) result[worker] = f;
        }
        return result;
    }

    /// <summary>Forgets a worker's predictors (it left).</summary>
    public void Remove(string worker)
    {
        lock (_lock)
        {
            foreach (var key in _series.Keys.Where(k => k.Worker == worker).ToArray()) _series.Remove(key);
        }
    }

    private ILoadPredictor? Feed(string worker, string metric)
    {
        var points = _history.Snapshot(worker, metric);
        if (points.Length == 0) return null;
        var key = (worker, metric);
        if (!_series.TryGetValue(key, out var state)) state = (_factory(), long.MinValue);
        double capacity = MetricNames.IsUtilization(metric) ? 1 : _options.Capacities[metric];
        foreach (var (time, value) in points)
        {
            if (time <= state.LastTimeMs) continue;
            state.Predictor.Observe(value / capacity);
            state.LastTimeMs = time;
        }
        _series[key] = state;
        return state.Predictor;
    }
}
