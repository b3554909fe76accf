using System.Globalization;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Examples;

/// <summary>Environment set-up shared by the examples: parallelism, <c>--stats</c>, and a progress line per superstep.</summary>
internal static class ExampleRunner
{
    /// <summary>Creates the environment from the common options; dispose the returned writer at the end.</summary>
    public static (DataflowEnvironment Env, IDisposable? Stats) CreateEnvironment(ExampleSettings settings, bool progress = true)
    {
        var env = DataflowEnvironment.Create(settings.Parallelism).UseElasticity(settings.Elasticity)
            .UsePlacement(settings.Placement, settings.Predictor);
        JsonStatisticsWriter? stats = null;
        if (settings.Stats is { } path)
        {
            stats = new JsonStatisticsWriter(path);
            env.AddObserver(stats);
        }
        if (progress) env.AddObserver(new ProgressObserver());
        if (progress && settings.Elasticity is not null) env.AddObserver(new RescaleObserver());
        return (env, stats);
    }

    /// <summary>The edge file given by <c>--edges</c>, or a generated R-MAT graph (<c>--scale</c>, default 16) in <see cref="GeneratedInputs.Folder"/>.</summary>
    public static string EdgesOrGenerated(string? edges, int scale, ExampleSettings settings)
    {
        if (edges is not null) return edges;
        const int edgeFactor = 16, seed = 1;
        return GeneratedInputs.GetOrCreate(settings, $"rmat-scale{scale}-ef{edgeFactor}-seed{seed}.edges", $"R-MAT scale {scale} graph",
            file => RmatGenerator.WriteEdges(file, scale, edgeFactor, seed));
    }

    private sealed class RescaleObserver : IDataflowObserver
    {
        public void OnRescale(RescaleEvent r)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rescale after superstep {r.Superstep}: {r.From} -> {r.To} in {r.Duration.TotalMilliseconds:F1} ms ({r.Policy}: {r.Reason})"));
            if (r.Joined.Count > 0 || r.Released.Count > 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  workers: {r.Workers} ({(r.Joined.Count > 0 ? $"joined {string.Join(",", r.Joined)} after {r.Acquire.TotalMilliseconds:F0} ms{(r.JoinedFromStandby.Count > 0 ? $", standbys that had followed the job: {string.Join(",", r.JoinedFromStandby)}" : "")}" : "")}{(r.Joined.Count > 0 && r.Released.Count > 0 ? "; " : "")}{(r.Released.Count > 0 ? $"released {string.Join(",", r.Released)}" : "")})"));
            }
        }
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
