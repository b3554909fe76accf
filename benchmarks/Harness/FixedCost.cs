using System.Diagnostics;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Benchmarks.Harness;

/// <summary>
/// The fixed cost of a warm superstep (issue #17: under 1 ms embedded): a bulk iteration over 1 000 records, so the
/// superstep is almost all engine (barrier, plan, threads, queues), at parallelism 1 and 2.
/// </summary>
internal static class FixedCost
{
    private sealed class Recorder : IDataflowObserver
    {
        public List<SuperstepStatistics> Supersteps { get; } = new();

        public void OnSuperstep(SuperstepStatistics s) => Supersteps.Add(s);
    }

    public static int Run(int supersteps, int reps)
    {
        Console.WriteLine($"warm superstep over 1 000 records, {supersteps} supersteps, {reps} repetitions (medians of the supersteps after the 10th)");
        Console.WriteLine("parallelism  superstep ms (statistics)  wall ms per superstep (whole job)  allocated KB per superstep (process)");
        foreach (int p in new[] { 1, 2 })
        {
            var steps = new List<double>();
            var walls = new List<double>();
            var allocs = new List<double>();
            for (int r = 0; r < reps + 1; r++)
            {
                var env = DataflowEnvironment.CreateLocal(p);
                var recorder = new Recorder();
                env.AddObserver(recorder);
                var numbers = env.FromCollection(Enumerable.Range(0, 1_000).Select(i => (long)i).ToList());
                long a0 = GC.GetTotalAllocatedBytes(precise: true);
                long t0 = Stopwatch.GetTimestamp();
                var result = numbers.IterateBulk(supersteps, (xs, ctx) => xs.Select(x => x + 1)).CollectAsync().GetAwaiter().GetResult();
                double wall = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - a0;
                long expected = 999L * 1_000 / 2 + 1_000L * supersteps;
                if (result.Count != 1_000 || result.Sum() != expected || recorder.Supersteps.Count != supersteps)
                {
                    throw new InvalidOperationException($"expected 1000 records summing to {expected} after {supersteps} supersteps, got {result.Count} summing to {result.Sum()} after {recorder.Supersteps.Count}");
                }
                if (r == 0) continue; // warm-up: JIT tiers
                var durations = recorder.Supersteps.Skip(10).Select(s => s.Duration.TotalMilliseconds).Order().ToList();
                steps.Add(durations[durations.Count / 2]);
                walls.Add(wall / supersteps);
                allocs.Add(allocated / 1024.0 / supersteps);
            }
            Console.WriteLine($"{p,11}  {Median(steps),25:F3}  {Median(walls),34:F3}  {Median(allocs),37:F1}");
        }
        return 0;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s[s.Count / 2];
    }
}
