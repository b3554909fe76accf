namespace Dataflow.Scheduling.Monitoring;

/// <summary>The names of the metrics a <see cref="NodeMonitor"/> samples, as used in traces, histories and <c>--stats</c>.</summary>
/// <remarks>
/// Fractions (<see cref="Cpu"/>, <see cref="NodeCpu"/>, <see cref="NodeMemory"/>) are utilizations in [0, 1];
/// the others are bytes or bytes per second and must be divided by a capacity before they are compared
/// with a utilization threshold (see <see cref="IsUtilization"/>).
/// </remarks>
public static class MetricNames
{
    /// <summary>CPU utilization of the worker process, as a fraction of all cores available to it.</summary>
    public const string Cpu = "cpu";

    /// <summary>CPU utilization of the whole node, as a fraction of all its cores (<c>/proc/stat</c>).</summary>
    public const string NodeCpu = "node_cpu";

    /// <summary>Resident set size (working set) of the worker process, in bytes.</summary>
    public const string Memory = "memory";

    /// <summary>Used memory of the node as a fraction of its total (1 − MemAvailable / MemTotal).</summary>
    public const string NodeMemory = "node_memory";

    /// <summary>Network bytes received per second by the node (<c>/proc/net/dev</c>).</summary>
    public const string NetIn = "net_in";

    /// <summary>Network bytes sent per second by the node (<c>/proc/net/dev</c>).</summary>
    public const string NetOut = "net_out";

    /// <summary>Bytes per second the worker process caused to be read from storage (<c>/proc/self/io</c> read_bytes).</summary>
    public const string DiskRead = "disk_read";

    /// <summary>Bytes per second the worker process caused to be written to storage (<c>/proc/self/io</c> write_bytes).</summary>
    public const string DiskWrite = "disk_write";

    /// <summary>Every metric, in the order of <see cref="MetricSample"/>'s fields.</summary>
    public static IReadOnlyList<string> All { get; } = [Cpu, NodeCpu, Memory, NodeMemory, NetIn, NetOut, DiskRead, DiskWrite];

    /// <summary>True when <paramref name="metric"/> is a utilization in [0, 1] that needs no normalization.</summary>
    public static bool IsUtilization(string metric) => metric is Cpu or NodeCpu or NodeMemory;
}
