using System.Globalization;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Examples;

/// <summary>Environment set-up shared by the examples: parallelism, <c>--stats</c>, and a progress line per superstep.</summary>
internal static class ExampleRunner
{
    /// <summary>Creates the environment from the common options; dispose the returned writer at the end.</summary>
    public static (DataflowEnvironment Env, IDisposable? Stats) CreateEnvironment(ExampleArgs args, bool progress = true)
    {
        var env = DataflowEnvironment.CreateLocal(args.GetIntOrNull("parallelism"));
        JsonStatisticsWriter? stats = null;
        if (args.Get("stats") is { } path)
        {
            stats = new JsonStatisticsWriter(path);
            env.AddObserver(stats);
        }
        if (progress) env.AddObserver(new ProgressObserver());
        return (env, stats);
    }

    private sealed class ProgressObserver : IDataflowObserver
    {
        public void OnSuperstep(SuperstepStatistics s)
        {
            var aggs = string.Join(" ", s.Aggregators.Select(a => $"{a.Key}={Format(a.Value)}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"superstep {s.Superstep,3}  {s.Duration.TotalMilliseconds,8:F1} ms  records {s.RecordsOut,10}  workset {(s.Workset?.ToString(CultureInfo.InvariantCulture) ?? "-"),8}  {aggs}"));
        }

        private static string Format(object? v) => v switch
        {
            double d => d.ToString("G4", CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null",
        };
    }
}
