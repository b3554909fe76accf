using System.Globalization;

namespace Dataflow.Scheduling.Monitoring;

/// <summary>Raw cumulative counters read from <c>/proc</c> at one instant; NaN where a file was missing or unreadable.</summary>
internal readonly record struct ProcCounters(
    long Timestamp, double ProcessCpuSeconds, double NodeBusyTicks, double NodeTotalTicks,
    double ResidentBytes, double NodeMemoryUsed, double NetRxBytes, double NetTxBytes,
    double DiskReadBytes, double DiskWriteBytes)
{
    /// <summary>Reads every counter under <paramref name="procRoot"/>. Never throws for a missing or malformed file.</summary>
    public static ProcCounters Read(string procRoot, long timestamp, int clockTicksPerSecond, bool includeLoopback)
    {
        var (busy, total) = ReadNodeCpu(Path.Combine(procRoot, "stat"));
        var (rx, tx) = ReadNetDev(Path.Combine(procRoot, "net", "dev"), includeLoopback);
        return new ProcCounters(
            timestamp,
            ReadProcessCpuTicks(Path.Combine(procRoot, "self", "stat")) / clockTicksPerSecond,
            busy, total,
            ReadResidentPages(Path.Combine(procRoot, "self", "statm")) * Environment.SystemPageSize,
            ReadMemoryUsed(Path.Combine(procRoot, "meminfo")),
            rx, tx,
            ReadKeyed(Path.Combine(procRoot, "self", "io"), "read_bytes"),
            ReadKeyed(Path.Combine(procRoot, "self", "io"), "write_bytes"));
    }

    private static string? TryReadAll(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static bool TryParse(ReadOnlySpan<char> s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    // /proc/self/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, so fields are
    // counted from the last ')'. utime and stime are fields 14 and 15 (1-based), i.e. 11 and 12 after it.
    internal static double ReadProcessCpuTicks(string path)
    {
        var text = TryReadAll(path);
        int close = text?.LastIndexOf(')') ?? -1;
        if (close < 0) return double.NaN;
        var fields = text![(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12 && TryParse(fields[11], out var user) && TryParse(fields[12], out var system)
            ? user + system
            : double.NaN;
    }

    // First line of /proc/stat: "cpu user nice system idle iowait irq softirq steal ...";
    // idle and iowait are the not-busy ticks.
    internal static (double Busy, double Total) ReadNodeCpu(string path)
    {
        var text = TryReadAll(path);
        if (text is null || !text.StartsWith("cpu ", StringComparison.Ordinal)) return (double.NaN, double.NaN);
        int end = text.IndexOf('\n');
        var fields = text[4..(end < 0 ? text.Length : end)].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4) return (double.NaN, double.NaN);
        double total = 0, idle = 0;
        // guest and guest_nice (fields 9 and 10) are already included in user and nice.
        for (int i = 0; i < Math.Min(fields.Length, 8); i++)
        {
            if (!TryParse(fields[i], out var v)) return (double.NaN, double.NaN);
            total += v;
            if (i is 3 or 4) idle += v;
        }
        return (total - idle, total);
    }

    internal static double ReadResidentPages(string path)
    {
        var fields = TryReadAll(path)?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 1 } && TryParse(fields[1], out var pages) ? pages : double.NaN;
    }

    internal static double ReadMemoryUsed(string path)
    {
        double total = ReadKeyed(path, "MemTotal"), available = ReadKeyed(path, "MemAvailable");
        return total > 0 && available >= 0 ? Math.Clamp(1 - available / total, 0, 1) : double.NaN;
    }

    // "key: value [unit]" lines (/proc/meminfo, /proc/self/io); NaN when the key is absent.
    internal static double ReadKeyed(string path, string key)
    {
        var text = TryReadAll(path);
        if (text is null) return double.NaN;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || !line[..colon].Trim().SequenceEqual(key)) continue;
            var rest = line[(colon + 1)..].Trim();
            int space = rest.IndexOf(' ');
            return TryParse(space < 0 ? rest : rest[..space], out var v) ? v : double.NaN;
        }
        return double.NaN;
    }

    // /proc/net/dev: two header lines, then "iface: rx_bytes rx_packets ... (8 receive fields) tx_bytes ...".
    internal static (double Rx, double Tx) ReadNetDev(string path, bool includeLoopback)
    {
        var text = TryReadAll(path);
        if (text is null) return (double.NaN, double.NaN);
        double rx = 0, tx = 0;
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var name = line[..colon].Trim();
            if (!includeLoopback && name.SequenceEqual("lo")) continue;
            var fields = line[(colon + 1)..].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || !TryParse(fields[0], out var r) || !TryParse(fields[8], out var t)) continue;
            rx += r;
            tx += t;
        }
        return (rx, tx);
    }
}
