namespace Dataflow.Scheduling.Placement;

/// <summary>A worker's predicted load over the forecast horizon.</summary>
/// <param name="Worker">The worker id.</param>
/// <param name="PredictedLoad">The highest predicted utilization within the horizon, over the metrics considered (0..1).</param>
/// <param name="Bottleneck">Whether <see cref="PredictedLoad"/> reaches the bottleneck threshold τ.</param>
/// <param name="Metric">The metric that gave <see cref="PredictedLoad"/>.</param>
public sealed record WorkerForecast(string Worker, double PredictedLoad, bool Bottleneck, string Metric);

/// <summary>Where placement policies get predictions from: per worker, the predicted load and whether it is a bottleneck.</summary>
/// <remarks>Implementations must be safe to call from the scheduler's thread while metrics arrive on others.</remarks>
public interface ILoadForecast
{
    /// <summary>The forecast for <paramref name="worker"/>; false when there is none (unknown worker, too little history).</summary>
    bool TryGetForecast(string worker, out WorkerForecast forecast);
}

/// <summary>A forecast given as data: for tests, simulators and replays of recorded decisions.</summary>
/// <param name="Forecasts">The forecasts, by worker.</param>
public sealed class FixedLoadForecast(IReadOnlyDictionary<string, WorkerForecast> Forecasts) : ILoadForecast
{
    /// <summary>Creates a forecast from (worker, predicted load) pairs with threshold <paramref name="threshold"/>.</summary>
    public static FixedLoadForecast FromLoads(IEnumerable<(string Worker, double Load)> loads, double threshold = Prediction.BottleneckDetector.DefaultThreshold) =>
        new(loads.ToDictionary(l => l.Worker, l => new WorkerForecast(l.Worker, l.Load, l.Load >= threshold, Monitoring.MetricNames.Cpu)));

    /// <inheritdoc />
    public bool TryGetForecast(string worker, out WorkerForecast forecast) => Forecasts.TryGetValue(worker, out forecast!);
}
