using System.Globalization;
using System.Text;

namespace Dataflow.Benchmarks.Harness;

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var s = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (s.Length == 0) return double.NaN;
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}

/// <summary>Medians per workload and mode, and the engine/baseline ratios.</summary>
internal sealed record WorkloadReport(
    string Workload, string Metric, long Items, string ItemName,
    Dictionary<string, ModeReport> Modes, double RatioP1, double RatioP2, double MemoryRatioP1, double MemoryRatioP2);

internal sealed record ModeReport(double MedianSuperstepMs, double FirstSuperstepMs, double MedianTotalMs, double MedianParseMs, double PeakMB, double BytesPerItem, int Runs, string Check,
    double MedianLaterSuperstepsMs);

internal sealed record BenchmarkReport(string Date, string Machine, string Command, List<WorkloadReport> Workloads);

internal static class Report
{
    public static BenchmarkReport Build(List<MeasureResult> results, Options o)
    {
        var list = new List<WorkloadReport>();
        foreach (var g in results.GroupBy(r => r.Workload))
        {
            var modes = g.GroupBy(r => r.Mode).ToDictionary(m => m.Key, m =>
            {
                var runs = m.ToList();
                // Per superstep: the median over runs of each run's median superstep; the first
                // superstep of an engine run also reads and indexes the loop-invariant input.
                double step = Stats.Median(runs.Select(r => Stats.Median(r.SuperstepMs.Skip(r.Mode == "baseline" ? 0 : 1))));
                double first = Stats.Median(runs.Select(r => r.SuperstepMs.Count > 0 ? r.SuperstepMs[0] : double.NaN));
                double peak = Stats.Median(runs.Select(r => (double)r.PeakBytes));
                // The sum of supersteps 2.. (the delta's supersteps shrink, so no one superstep stands for them all).
                double later = Stats.Median(runs.Select(r => r.SuperstepMs.Count > 1 ? r.SuperstepMs.Skip(1).Sum() : double.NaN));
                long items = g.First(r => r.Mode == "baseline").Items;
                return new ModeReport(step, first, Stats.Median(runs.Select(r => r.TotalMs)), Stats.Median(runs.Select(r => r.ParseMs)),
                    peak / 1e6, peak / Math.Max(1, items), runs.Count, runs[0].Check, later);
            });
            string metric = MetricOf(g.Key);
            double Value(string mode) => modes.TryGetValue(mode, out var m) ? ValueOf(metric, m) : double.NaN;
            var b = modes["baseline"];
            list.Add(new WorkloadReport(g.Key, metric, g.First(r => r.Mode == "baseline").Items,
                g.Key switch { "pagerank" or "pagerank-cogroup" or "pagerank-delta" or "components" => "edge", "kmeans" => "point", _ => "word" },
                modes, Ratio("engine-p1"), Ratio("engine-p2"), MemRatio("engine-p1"), MemRatio("engine-p2")));
            double Ratio(string m) => modes.ContainsKey(m) ? Value(m) / Value("baseline") : double.NaN;
            double MemRatio(string m) => modes.TryGetValue(m, out var r) ? r.PeakMB / b.PeakMB : double.NaN;
        }
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return new BenchmarkReport(DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            $"{Environment.ProcessorCount} cores ({cpu ?? "unknown CPU"}), {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}",
            "dotnet run -c Release --project benchmarks/Harness -- " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            list);
    }

    private const string PerSuperstep = "per superstep";
    private const string LaterSupersteps = "supersteps 2.. total";

    /// <summary>
    /// The metric a workload is compared on. The delta PageRank's supersteps do less work as its
    /// workset shrinks, so a median superstep would flatter or wrong it: it is compared on the sum of
    /// supersteps 2 to the last (10, Measure.PageRankIterations) against the CSR baseline's same
    /// iterations, the same propagation rounds on both sides. Superstep 1 is left out on both sides, as
    /// for every engine iteration: the engine's also reads and indexes the loop-invariant edges, which
    /// the baseline does in its untimed CSR build.
    /// </summary>
    private static string MetricOf(string workload) => workload switch
    {
        "pagerank" or "pagerank-cogroup" or "kmeans" => PerSuperstep,
        "pagerank-delta" => LaterSupersteps,
        _ => "total",
    };

    private static double ValueOf(string metric, ModeReport m) => metric switch
    {
        PerSuperstep => m.MedianSuperstepMs,
        LaterSupersteps => m.MedianLaterSuperstepsMs,
        _ => m.MedianTotalMs,
    };

    private static readonly ModeReport s_missing = new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, "", double.NaN);

    private static ModeReport M(WorkloadReport w, string mode) => w.Modes.TryGetValue(mode, out var m) ? m : s_missing;

    public static string Markdown(BenchmarkReport r)
    {
        var sb = new StringBuilder();
        string f(double v) => double.IsNaN(v) ? "–" : v.ToString(v >= 100 ? "F0" : "F1", CultureInfo.InvariantCulture);
        string x(double v) => double.IsNaN(v) ? "–" : v.ToString("F2", CultureInfo.InvariantCulture);
        sb.AppendLine($"Measured {r.Date} on {r.Machine}; `{r.Command}`.").AppendLine();
        sb.AppendLine("| workload | metric | baseline ms | engine p=1 ms | engine p=2 ms | p=1 / baseline | p=2 / baseline | peak MB (base / p1 / p2) | bytes per item (base / p1 / p2) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var w in r.Workloads)
        {
            double V(string m) => w.Modes.TryGetValue(m, out var mode) ? ValueOf(w.Metric, mode) : double.NaN;
            sb.AppendLine($"| {w.Workload} ({w.Items:N0} {w.ItemName}s) | {w.Metric} | {f(V("baseline"))} | {f(V("engine-p1"))} | {f(V("engine-p2"))} | {x(w.RatioP1)} | {x(w.RatioP2)} | {f(M(w, "baseline").PeakMB)} / {f(M(w, "engine-p1").PeakMB)} / {f(M(w, "engine-p2").PeakMB)} | {f(M(w, "baseline").BytesPerItem)} / {f(M(w, "engine-p1").BytesPerItem)} / {f(M(w, "engine-p2").BytesPerItem)} |");
        }
        sb.AppendLine().AppendLine("| workload | baseline parse ms | baseline total ms | engine p=1 total ms | engine p=2 total ms | engine first superstep (p=1 / p=2) |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var w in r.Workloads)
        {
            sb.AppendLine($"| {w.Workload} | {f(M(w, "baseline").MedianParseMs)} | {f(M(w, "baseline").MedianTotalMs)} | {f(M(w, "engine-p1").MedianTotalMs)} | {f(M(w, "engine-p2").MedianTotalMs)} | {f(M(w, "engine-p1").FirstSuperstepMs)} / {f(M(w, "engine-p2").FirstSuperstepMs)} |");
        }
        return sb.ToString();
    }
}
