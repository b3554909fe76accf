namespace Dataflow.Scheduling.Monitoring;

/// <summary>
/// What the coordinator keeps of the workers' metrics: for every worker and metric, the newest
/// <see cref="Capacity"/> points. Thread-safe: heartbeats of different workers may add concurrently.
/// </summary>
public sealed class MetricHistory
{
    /// <summary>The default number of points kept per worker and metric (5 minutes at 2 Hz).</summary>
    public const int DefaultCapacity = 600;

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Worker, string Metric), MetricSeries> _series = [];
    private readonly List<string> _workers = [];

    /// <summary>Creates an empty history keeping <paramref name="capacity"/> points per worker and metric.</summary>
    public MetricHistory(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>The most points kept per worker and metric.</summary>
    public int Capacity { get; }

    /// <summary>The workers with at least one point, in the order they first reported.</summary>
    public IReadOnlyList<string> Workers
    {
        get
        {
            lock (_lock) return _workers.ToArray();
        }
    }

    /// <summary>Adds every metric of <paramref name="sample"/> for <paramref name="worker"/> (NaN values included: they mark gaps).</summary>
    public void Add(string worker, in MetricSample sample)
    {
        ArgumentNullException.ThrowIfNull(worker);
        lock (_lock)
        {
            foreach (var metric in MetricNames.All) AddLocked(worker, metric, sample.TimeMs, sample.Get(metric));
        }
    }

    /// <summary>Adds one point.</summary>
    public void Add(string worker, string metric, long timeMs, double value)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(metric);
        lock (_lock) AddLocked(worker, metric, timeMs, value);
    }

    /// <summary>A copy of the points of <paramref name="worker"/>'s <paramref name="metric"/>, oldest first (empty when unknown).</summary>
    public (long TimeMs, double Value)[] Snapshot(string worker, string metric)
    {
        lock (_lock) return _series.TryGetValue((worker, metric), out var s) ? s.ToArray() : [];
    }

    /// <summary>The newest value of <paramref name="worker"/>'s <paramref name="metric"/>, if any.</summary>
    public bool TryGetLatest(string worker, string metric, out long timeMs, out double value)
    {
        lock (_lock)
        {
            if (_series.TryGetValue((worker, metric), out var s) && s.Count > 0)
            {
                (timeMs, value) = s[s.Count - 1];
                return true;
            }
        }
        (timeMs, value) = (0, double.NaN);
        return false;
    }

    /// <summary>The metrics recorded for <paramref name="worker"/>.</summary>
    public IReadOnlyList<string> MetricsOf(string worker)
    {
        lock (_lock) return _series.Keys.Where(k => k.Worker == worker).Select(k => k.Metric).ToArray();
    }

    /// <summary>Forgets a worker (it left the cluster); returns whether it was known.</summary>
    public bool Remove(string worker)
    {
        lock (_lock)
        {
            foreach (var key in _series.Keys.Where(k => k.Worker == worker).ToArray()) _series.Remove(key);
            return _workers.Remove(worker);
        }
    }

    private void AddLocked(string worker, string metric, long timeMs, double value)
    {
        if (!_series.TryGetValue((worker, metric), out var series))
        {
            series = new MetricSeries(Capacity);
            _series.Add((worker, metric), series);
            if (!_workers.Contains(worker)) _workers.Add(worker);
        }
        series.Add(timeMs, value);
    }
}
