using System.Runtime.InteropServices;

namespace Dataflow.Runtime.Statistics;

/// <summary>CPU time consumed by the calling thread.</summary>
public static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    private static readonly bool s_supported = OperatingSystem.IsLinux();

    /// <summary>Nanoseconds of CPU time used by the calling thread so far (0 where unsupported).</summary>
    public static long NowNanos()
    {
        if (!s_supported) return 0;
        return ClockGetTime(ClockThreadCpuTimeId, out var t) == 0 ? t.Seconds * 1_000_000_000L + t.Nanoseconds : 0;
    }
}
