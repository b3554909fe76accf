using System.Diagnostics;
using Dataflow.Examples.ConnectedComponents;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;
using Dataflow.Examples.WordCount;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Benchmarks.Harness;

/// <summary>One measured run of one workload in one mode, in its own process.</summary>
internal sealed record MeasureResult(
    string Workload, string Mode, double ParseMs, double TotalMs, List<double> SuperstepMs, long PeakBytes, long Items, string Check);

internal static class Measure
{
    public const int PageRankIterations = 10;
    public const int KMeansIterations = 10;

    public static MeasureResult Run(string workload, string mode, Options o)
    {
        int? parallelism = mode switch { "engine-p1" => 1, "engine-p2" => 2, "baseline" => null, _ => throw new ArgumentException($"unknown mode {mode}") };
        var r = parallelism is int p ? Engine(workload, p, o) : Baseline(workload, o);
        return r with { Mode = mode, PeakBytes = PeakWorkingSet() };
    }

    /// <summary>Peak resident set of this process (VmHWM).</summary>
    private static long PeakWorkingSet()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private sealed class Supersteps : IDataflowObserver
    {
        public List<double> Ms { get; } = new();

        public void OnSuperstep(SuperstepStatistics s) => Ms.Add(s.Duration.TotalMilliseconds);
    }

    private static MeasureResult Engine(string workload, int parallelism, Options o)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var steps = new Supersteps();
        env.AddObserver(steps);
        var sw = Stopwatch.StartNew();
        long items;
        string check;
        switch (workload)
        {
            case "pagerank":
            {
                var ranks = PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, Data.Edges(o)), PageRankIterations, 0.85, 0).GetAwaiter().GetResult();
                var all = ranks.CollectAsync().GetAwaiter().GetResult();
                items = all.Count;
                check = $"max rank {all.Max(r => r.Value):R}";
                break;
            }
            case "pagerank-cogroup":
            {
                var ranks = PageRankVariants.BuildCoGroupAsync(env, PageRankJob.ReadEdges(env, Data.Edges(o)), PageRankIterations, 0.85, 0).GetAwaiter().GetResult();
                var all = ranks.CollectAsync().GetAwaiter().GetResult();
                items = all.Count;
                check = $"max rank {all.Max(r => r.Value):R}";
                break;
            }
            case "pagerank-delta":
            {
                // As many supersteps as the baseline's iterations; ε is 1% of the average rank (2^scale ids),
                // so vertices whose accumulated change is small drop out of the workset.
                double epsilon = 0.01 / (1L << Data.Scale(o));
                var ranks = PageRankVariants.BuildDeltaAsync(env, PageRankJob.ReadEdges(env, Data.Edges(o)), PageRankIterations, 0.85, epsilon).GetAwaiter().GetResult();
                var all = ranks.CollectAsync().GetAwaiter().GetResult();
                items = all.Count;
                check = $"max rank {all.Max(r => r.Value):R}; {steps.Ms.Count} supersteps";
                break;
            }
            case "kmeans":
            {
                var initial = KMeansJob.ReadCentroids(Data.Centroids(o));
                var result = KMeansJob.Build(KMeansJob.ReadPoints(env, Data.Points(o)), env.FromCollection(initial), KMeansIterations)
                    .CollectAsync().GetAwaiter().GetResult().OrderBy(c => c.Id).ToList();
                items = Data.PointCount(o);
                check = $"c0[0] {result[0].Coordinates[0]:R}";
                break;
            }
            case "components":
            {
                var all = ConnectedComponentsJob.Build(env, Data.Edges(o), null).CollectAsync().GetAwaiter().GetResult();
                items = all.Count;
                check = $"{all.Select(v => v.Label).Distinct().Count()} components";
                break;
            }
            case "wordcount":
            {
                var all = WordCountJob.Build(env, Data.Text(o)).CollectAsync().GetAwaiter().GetResult();
                items = all.Sum(c => c.Count);
                check = $"{all.Count} distinct";
                break;
            }
            default:
                throw new ArgumentException($"unknown workload {workload}");
        }
        return new MeasureResult(workload, "", double.NaN, sw.Elapsed.TotalMilliseconds, steps.Ms, 0, items, check);
    }

    private static MeasureResult Baseline(string workload, Options o)
    {
        var sw = Stopwatch.StartNew();
        var steps = new List<double>();
        double parse;
        long items;
        string check;
        switch (workload)
        {
            // The variants compute the same ranks, so they share the CSR baseline.
            case "pagerank" or "pagerank-cogroup" or "pagerank-delta":
            {
                var (src, dst) = Baselines.ReadEdges(Data.Edges(o));
                var g = Baselines.BuildCsr(src, dst, undirected: false);
                parse = sw.Elapsed.TotalMilliseconds;
                int n = g.Vertices;
                var rank = new double[n];
                Array.Fill(rank, 1.0 / n);
                var next = new double[n];
                for (int i = 0; i < PageRankIterations; i++)
                {
                    long t = Stopwatch.GetTimestamp();
                    Baselines.PageRankStep(g, rank, next, 0.85);
                    (rank, next) = (next, rank);
                    steps.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
                items = g.Targets.Length;
                check = $"max rank {rank.Max():R}";
                break;
            }
            case "kmeans":
            {
                var (points, dims) = Baselines.ReadPoints(Data.Points(o));
                var (init, _) = Baselines.ReadPoints(Data.Centroids(o));
                parse = sw.Elapsed.TotalMilliseconds;
                int k = init.Length / dims;
                var sums = new double[init.Length];
                var counts = new long[k];
                for (int i = 0; i < KMeansIterations; i++)
                {
                    long t = Stopwatch.GetTimestamp();
                    Baselines.LloydStep(points, dims, init, k, sums, counts);
                    steps.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
                items = points.Length / dims;
                check = $"c0[0] {init[0]:R}";
                break;
            }
            case "components":
            {
                var (src, dst) = Baselines.ReadEdges(Data.Edges(o));
                var g = Baselines.BuildCsr(src, dst, undirected: true);
                parse = sw.Elapsed.TotalMilliseconds;
                long t = Stopwatch.GetTimestamp();
                var labels = Baselines.LabelPropagation(g);
                steps.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                t = Stopwatch.GetTimestamp();
                var uf = Baselines.UnionFind(g);
                double unionFind = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                if (!labels.AsSpan().SequenceEqual(uf)) throw new InvalidOperationException("label propagation and union-find disagree");
                items = g.Targets.Length / 2;
                check = $"{labels.Distinct().Count()} components; union-find {unionFind:F0} ms";
                // Total is parsing + label propagation; union-find is reported in the check only.
                return new MeasureResult(workload, "", parse, parse + steps[0], steps, 0, items, check);
            }
            case "wordcount":
            {
                parse = 0;
                var counts = Baselines.WordCount(Data.Text(o));
                items = counts.Values.Sum();
                check = $"{counts.Count} distinct";
                break;
            }
            default:
                throw new ArgumentException($"unknown workload {workload}");
        }
        return new MeasureResult(workload, "", parse, sw.Elapsed.TotalMilliseconds, steps, 0, items, check);
    }
}
