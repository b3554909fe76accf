using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Scheduling.Monitoring;

/// <summary>
/// Samples this worker's resource metrics from <c>/proc</c> at a fixed interval (docs/architecture.md §9):
/// process and node CPU, process resident memory and node memory, node network and process disk
/// throughput.
/// </summary>
/// <remarks>
/// <para>Sampling reads six small proc files and allocates a few strings: negligible at 1–4 Hz.
/// Rates (CPU, network, disk) are the change of the cumulative counters since the previous sample,
/// so the first sample after <see cref="Start"/> covers the time since construction.</para>
/// <para>A missing or unreadable file yields <see cref="double.NaN"/> for its metrics and never an
/// exception: on a system without <c>/proc</c> every value is NaN. Disk throughput is per process
/// (<c>/proc/self/io</c>, bytes that reached the storage layer), so that workers sharing a machine
/// are told apart; network throughput is per node (network namespace), because Linux keeps no
/// per-process network counters.</para>
/// <para><see cref="Sampled"/> is raised on a thread-pool thread, one call at a time; after
/// <see cref="Dispose"/> returns it is not raised again and no timer is left.</para>
/// </remarks>
public sealed partial class NodeMonitor : IDisposable
{
    private readonly NodeMonitorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly double _cores;
    private readonly Lock _lock = new();
    private ProcCounters _previous;
    private MetricSample _latest;
    private ITimer? _timer;
    private bool _disposed;

    /// <summary>Creates a monitor; call <see cref="Start"/> to sample periodically or <see cref="SampleNow"/> to sample on demand.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public NodeMonitor(NodeMonitorOptions? options = null, TimeProvider? timeProvider = null, ILogger<NodeMonitor>? logger = null)
    {
        _options = options ?? new NodeMonitorOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _cores = _options.CpuCores ?? Environment.ProcessorCount;
        _previous = ReadCounters();
        _latest = Empty(_time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    /// <summary>Raised after every periodic sample, on a thread-pool thread.</summary>
    public event Action<MetricSample>? Sampled;

    /// <summary>The options in use.</summary>
    public NodeMonitorOptions Options => _options;

    /// <summary>The most recent sample (all NaN before the first one).</summary>
    public MetricSample Latest
    {
        get
        {
            lock (_lock) return _latest;
        }
    }

    /// <summary>Starts periodic sampling every <see cref="NodeMonitorOptions.Interval"/>.</summary>
    /// <exception cref="ObjectDisposedException">The monitor was disposed.</exception>
    /// <exception cref="InvalidOperationException">It was already started.</exception>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_timer is not null) throw new InvalidOperationException("The monitor is already started.");
            _timer = _time.CreateTimer(static state => ((NodeMonitor)state!).OnTimer(), this, _options.Interval, _options.Interval);
        }
    }

    /// <summary>Takes a sample now; rates cover the time since the previous sample.</summary>
    public MetricSample SampleNow()
    {
        lock (_lock)
        {
            var current = ReadCounters();
            _latest = Compute(_previous, current, _time.GetUtcNow().ToUnixTimeMilliseconds());
            _previous = current;
            return _latest;
        }
    }

    /// <summary>Stops sampling; waits for a sample in progress to finish.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }

    private void OnTimer()
    {
        // Holding the lock while raising the event makes Dispose wait for a running subscriber,
        // so that nothing is raised after Dispose returns.
        lock (_lock)
        {
            if (_disposed) return;
            var sample = SampleNow();
            try
            {
                Sampled?.Invoke(sample);
            }
            catch (Exception e)
            {
                LogSubscriberFailed(_logger, e);
            }
        }
    }

    private ProcCounters ReadCounters() =>
        ProcCounters.Read(_options.ProcRoot, _time.GetTimestamp(), _options.ClockTicksPerSecond, _options.IncludeLoopback);

    private MetricSample Compute(in ProcCounters before, in ProcCounters after, long timeMs)
    {
        double seconds = _time.GetElapsedTime(before.Timestamp, after.Timestamp).TotalSeconds;
        double nodeTotal = after.NodeTotalTicks - before.NodeTotalTicks;
        return new MetricSample(
            timeMs,
            Fraction(Rate(before.ProcessCpuSeconds, after.ProcessCpuSeconds, seconds) / _cores),
            nodeTotal > 0 ? Fraction((after.NodeBusyTicks - before.NodeBusyTicks) / nodeTotal) : double.NaN,
            after.ResidentBytes,
            after.NodeMemoryUsed,
            Rate(before.NetRxBytes, after.NetRxBytes, seconds),
            Rate(before.NetTxBytes, after.NetTxBytes, seconds),
            Rate(before.DiskReadBytes, after.DiskReadBytes, seconds),
            Rate(before.DiskWriteBytes, after.DiskWriteBytes, seconds));
    }

    // NaN stays NaN; a counter that went backwards (an interface that disappeared) reads as 0.
    private static double Rate(double before, double after, double seconds) =>
        seconds > 0 ? Math.Max(0, (after - before) / seconds) : double.NaN;

    private static double Fraction(double value) => double.IsNaN(value) ? value : Math.Clamp(value, 0, 1);

    private static MetricSample Empty(long timeMs) =>
        new(timeMs, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A NodeMonitor.Sampled subscriber threw")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);
}
