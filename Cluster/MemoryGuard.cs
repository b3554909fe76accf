using System.Globalization;

namespace Dataflow.Cluster;

/// <summary>
/// Watches a worker's memory against the limits it runs under — its cgroup's memory limit (v1
/// <c>memory.limit_in_bytes</c> or v2 <c>memory.max</c>, the smallest on the way to the root) for the
/// resident set, and the garbage collector's own limit for the managed heap — so that a job that is
/// about to exceed them fails with a message that says so, instead of the kernel's OOM killer ending
/// the worker (and every job on it) without a word.
/// </summary>
public sealed class MemoryGuard
{
    /// <summary>The share of a limit at which a job is stopped.</summary>
    public const double Threshold = 0.9;

    private readonly long _cgroupLimit;
    private readonly string _cgroupSource;

    /// <summary>Reads the limits of this process's cgroup (none outside Linux or without a limit).</summary>
    public MemoryGuard()
    {
        (_cgroupLimit, _cgroupSource) = CgroupLimit() ?? (0, "");
    }

    /// <summary>False when the environment variable <c>DATAFLOW_MEMORY_GUARD</c> is <c>off</c> (then the kernel decides, as without a guard).</summary>
    public static bool Enabled { get; } = !string.Equals(Environment.GetEnvironmentVariable("DATAFLOW_MEMORY_GUARD"), "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Null while memory is within the limits; otherwise why it is not (what is used, of which limit).
    /// Before it says the managed heap is too large it collects, so garbage does not count.
    /// </summary>
    /// <param name="residentBytes">The process's resident set now.</param>
    public string? Check(long residentBytes)
    {
        if (!Enabled) return null;
        if (_cgroupLimit > 0 && residentBytes > Threshold * _cgroupLimit)
        {
            return $"it uses {Mib(residentBytes)} MiB of its {Mib(_cgroupLimit)} MiB memory limit ({_cgroupSource})";
        }
        var gc = GC.GetGCMemoryInfo();
        long heapLimit = gc.TotalAvailableMemoryBytes;
        if (heapLimit <= 0 || GC.GetTotalMemory(false) <= Threshold * heapLimit) return null;
        long live = GC.GetTotalMemory(forceFullCollection: true);
        return live > Threshold * heapLimit ? $"its managed heap holds {Mib(live)} MiB of the {Mib(heapLimit)} MiB the garbage collector may use" : null;
    }

    private static string Mib(long bytes) => (bytes >> 20).ToString(CultureInfo.InvariantCulture);

    /// <summary>The smallest memory limit on this process's cgroup path, and the file it came from.</summary>
    public static (long Bytes, string Source)? CgroupLimit()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/self/cgroup")) return null;
        (long, string)? best = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            bool v1 = parts[1].Split(',').Contains("memory");
            bool v2 = parts[0] == "0" && parts[1].Length == 0;
            if (!v1 && !v2) continue;
            var root = v1 ? "/sys/fs/cgroup/memory" : File.Exists("/sys/fs/cgroup/unified/cgroup.controllers") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
            var file = v1 ? "memory.limit_in_bytes" : "memory.max";
            // A parent's limit binds the children too: the smallest on the way up counts.
            for (var path = parts[2]; ; path = Path.GetDirectoryName(path) ?? "/")
            {
                var limitFile = Path.Combine(root + (path == "/" ? "" : path), file);
                if (File.Exists(limitFile) && ParseLimit(File.ReadAllText(limitFile)) is { } limit && (best is null || limit < best.Value.Item1))
                {
                    best = (limit, limitFile);
                }
                if (path is "/" or "") break;
            }
        }
        return best;
    }

    private static long? ParseLimit(string text)
    {
        text = text.Trim();
        // "max" (v2) and a page-rounded 2^63 (v1) mean no limit.
        if (text == "max" || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) || bytes >= 1L << 60) return null;
        return bytes;
    }
}
