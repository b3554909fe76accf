using Dataflow.Scheduling.Monitoring;

namespace Dataflow.Iterations;

/// <summary>
/// This process's node monitor (started with the first iteration): its latest sample gives the
/// per-worker network, disk and node-CPU figures of the superstep statistics (docs/architecture.md §6).
/// </summary>
internal static class ProcessMonitor
{
    private static readonly Lazy<NodeMonitor> s_monitor = new(() =>
    {
        var m = new NodeMonitor(new NodeMonitorOptions { Interval = TimeSpan.FromMilliseconds(250) });
        m.Start();
        return m;
    });

    /// <summary>The latest sample's metrics by name (rates per second; NaN where unreadable).</summary>
    public static Dictionary<string, double> Metrics()
    {
        var sample = s_monitor.Value.Latest;
        return MetricNames.All.ToDictionary(n => n, sample.Get);
    }
}
