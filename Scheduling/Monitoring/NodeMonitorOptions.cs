namespace Dataflow.Scheduling.Monitoring;

/// <summary>Options of a <see cref="NodeMonitor"/>.</summary>
public sealed class NodeMonitorOptions
{
    /// <summary>The shortest allowed <see cref="Interval"/>.</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>The longest allowed <see cref="Interval"/>.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(1);

    /// <summary>Time between samples; 250 ms to 1 s, default 500 ms.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Whether the loopback interface counts in <see cref="MetricNames.NetIn"/> and <see cref="MetricNames.NetOut"/>; default true.</summary>
    /// <remarks>True by default because emulated clusters exchange all their data over loopback; set false on real clusters to count only external traffic.</remarks>
    public bool IncludeLoopback { get; set; } = true;

    /// <summary>Cores available to the process, the denominator of <see cref="MetricNames.Cpu"/>; default null = <see cref="Environment.ProcessorCount"/>.</summary>
    /// <remarks>Set it to the CPU quota when a worker runs under one (for example 0.5 for a 50% quota), so that a throttled worker reads as saturated.</remarks>
    public double? CpuCores { get; set; }

    /// <summary>Clock ticks per second of <c>/proc/[pid]/stat</c> times (USER_HZ); default 100, which is what Linux reports on all mainstream architectures.</summary>
    public int ClockTicksPerSecond { get; set; } = 100;

    /// <summary>Root of the proc file system; default <c>/proc</c>. Tests point it at a directory of fake files.</summary>
    public string ProcRoot { get; set; } = "/proc";

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (Interval < MinInterval || Interval > MaxInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, $"The sampling interval must be between {MinInterval.TotalMilliseconds} ms and {MaxInterval.TotalMilliseconds} ms.");
        }
        if (CpuCores is { } cores && !(cores > 0)) throw new ArgumentOutOfRangeException(nameof(CpuCores), cores, "CpuCores must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(ClockTicksPerSecond, 1, nameof(ClockTicksPerSecond));
        ArgumentException.ThrowIfNullOrEmpty(ProcRoot, nameof(ProcRoot));
    }
}
