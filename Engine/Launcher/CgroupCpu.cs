using System.Diagnostics;
using System.Globalization;

namespace Dataflow.Launcher;

/// <summary>
/// CPU utilization of the emulated node this process runs in: its cgroup's CPU time (v1 cpuacct)
/// over its quota (v1 cpu), when the process has a quota; null otherwise.
/// </summary>
internal sealed class CgroupCpu
{
    private readonly string _usage;
    private readonly string _quota;
    private readonly string _period;
    private long _lastUsage;
    private long _lastTicks;

    private CgroupCpu(string usage, string quota, string period)
    {
        _usage = usage;
        _quota = quota;
        _period = period;
        _lastUsage = ReadLong(usage);
        _lastTicks = Stopwatch.GetTimestamp();
    }

    public static CgroupCpu? Detect()
    {
        if (!File.Exists("/proc/self/cgroup")) return null;
        string? cpu = null, cpuacct = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            var controllers = parts[1].Split(',');
            if (controllers.Contains("cpu")) cpu = parts[2];
            if (controllers.Contains("cpuacct")) cpuacct = parts[2];
        }
        if (cpu is null or "/" || cpuacct is null or "/") return null;
        string cpuDir = FindMount("cpu", cpu), acctDir = FindMount("cpuacct", cpuacct);
        var quota = Path.Combine(cpuDir, "cpu.cfs_quota_us");
        var usage = Path.Combine(acctDir, "cpuacct.usage");
        if (!File.Exists(quota) || !File.Exists(usage) || ReadLong(quota) <= 0) return null;
        return new CgroupCpu(usage, quota, Path.Combine(cpuDir, "cpu.cfs_period_us"));
    }

    private static string FindMount(string controller, string path)
    {
        foreach (var root in new[] { $"/sys/fs/cgroup/{controller}", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu" })
        {
            if (Directory.Exists(root + path)) return root + path;
        }
        return $"/sys/fs/cgroup/{controller}{path}";
    }

    private static long ReadLong(string path) => long.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Utilization of the quota since the last call (0..1).</summary>
    public double Sample()
    {
        try
        {
            long usage = ReadLong(_usage), now = Stopwatch.GetTimestamp();
            double cores = ReadLong(_quota) / (double)ReadLong(_period);
            double seconds = Stopwatch.GetElapsedTime(_lastTicks, now).TotalSeconds;
            double u = (usage - _lastUsage) / 1e9 / Math.Max(1e-9, seconds * cores);
            _lastUsage = usage;
            _lastTicks = now;
            return Math.Clamp(u, 0, 1);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}
