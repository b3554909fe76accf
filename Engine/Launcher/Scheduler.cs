using System.Diagnostics;
using System.Globalization;
using Dataflow.Runtime.Cluster;
using Dataflow.Runtime.Extensibility;
using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Placement;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Launcher;

/// <summary>
/// The coordinator's scheduler (DESIGN.md §9): keeps a bounded per-worker, per-metric history of the
/// heartbeats and places each job's subtasks with the policy its program chose — <c>locality</c>
/// (every subtask on the worker that holds its input split; here splits are laid out round-robin,
/// as blocks of a distributed file system would be) or <c>bottleneck-aware</c> (the same, minus a
/// penalty for the load predicted by ARIMA, the sliding HMM or the last value).
/// </summary>
internal sealed class Scheduler
{
    private readonly MetricHistory _history = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>The metric placement forecasts: the emulated node's CPU utilization (its cgroup's, under a quota) by default.</summary>
    public string Metric { get; init; } = MetricNames.NodeCpu;

    public void Attach(Coordinator coordinator)
    {
        coordinator.HeartbeatReceived += (worker, h) =>
        {
            long ms = (long)Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
            for (int i = 0; i < h.Names.Length && i < h.Values.Length; i++)
            {
                if (double.IsFinite(h.Values[i])) _history.Add(worker, h.Names[i], ms, h.Values[i]);
            }
        };
        coordinator.Options.Placement = CreatePlacer;
    }

    private Func<int, IReadOnlyList<WorkerInfo>, Placement?, PlacementDecision>? CreatePlacer(string policy, string predictor)
    {
        if (policy.Length == 0) return null; // round-robin
        ILoadForecast? forecast = policy == BottleneckAwarePlacementPolicy.PolicyName
            ? new HistoryLoadForecast(_history, LoadPredictors.Factory(predictor.Length == 0 ? ArimaPredictor.PredictorName : predictor),
                new LoadForecastOptions { Metrics = [Metric] })
            : null;
        var placement = PlacementPolicies.Create(policy, forecast);
        return (parallelism, workers, current) =>
        {
            // At job start, input split s lives on worker s mod n; at a barrier, the subtask's state is where it runs now.
            var preferred = current ?? new Placement(Enumerable.Range(0, parallelism).Select(s => workers[s % workers.Count].Id).ToArray());
            var e = placement.Explain($"parallelism {parallelism.ToString(CultureInfo.InvariantCulture)}", parallelism, workers, preferred);
            var predictions = e.Predictions.Values.ToList();
            return new PlacementDecision(parallelism, e.Policy + (forecast is null ? "" : $"/{(predictor.Length == 0 ? "arima" : predictor)}"),
                e.Assignments.Select(a => a.Worker).ToArray(), predictions.Select(p => p.Worker).ToArray(),
                predictions.Select(p => p.PredictedLoad).ToArray(), predictions.Select(p => p.Bottleneck).ToArray());
        };
    }
}

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
