namespace Dataflow.Scheduling.Monitoring;

/// <summary>One sample of a worker's resource metrics (see <see cref="MetricNames"/> for units).</summary>
/// <remarks>A value that could not be read (a missing or unreadable <c>/proc</c> file) is <see cref="double.NaN"/>.</remarks>
/// <param name="TimeMs">When the sample was taken, in Unix milliseconds.</param>
/// <param name="Cpu">Process CPU utilization, 0..1 of all cores available to the process.</param>
/// <param name="NodeCpu">Node CPU utilization, 0..1 of all cores.</param>
/// <param name="MemoryBytes">Process resident set size, bytes.</param>
/// <param name="NodeMemory">Node used memory fraction, 0..1.</param>
/// <param name="NetIn">Node network bytes received per second.</param>
/// <param name="NetOut">Node network bytes sent per second.</param>
/// <param name="DiskRead">Process storage bytes read per second.</param>
/// <param name="DiskWrite">Process storage bytes written per second.</param>
public readonly record struct MetricSample(
    long TimeMs, double Cpu, double NodeCpu, double MemoryBytes, double NodeMemory,
    double NetIn, double NetOut, double DiskRead, double DiskWrite)
{
    /// <summary>The value of metric <paramref name="metric"/> (one of <see cref="MetricNames"/>).</summary>
    /// <exception cref="ArgumentException">The name is not a known metric.</exception>
    public double Get(string metric) => metric switch
    {
        MetricNames.Cpu => Cpu,
        MetricNames.NodeCpu => NodeCpu,
        MetricNames.Memory => MemoryBytes,
        MetricNames.NodeMemory => NodeMemory,
        MetricNames.NetIn => NetIn,
        MetricNames.NetOut => NetOut,
        MetricNames.DiskRead => DiskRead,
        MetricNames.DiskWrite => DiskWrite,
        _ => throw new ArgumentException($"Unknown metric '{metric}'; expected one of {string.Join(", ", MetricNames.All)}.", nameof(metric)),
    };
}
