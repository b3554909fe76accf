using Dataflow.Scheduling.Monitoring;

namespace Dataflow.Scheduling.Evaluation;

/// <summary>Options of <see cref="TraceGenerator"/>.</summary>
public sealed class TraceGeneratorOptions
{
    /// <summary>Number of workers, named <c>w0</c>, <c>w1</c>, …; default 4.</summary>
    public int Workers { get; set; } = 4;

    /// <summary>How many of them (the first ones) get an on/off bottleneck; default 2.</summary>
    public int BottleneckedWorkers { get; set; } = 2;

    /// <summary>Samples per worker and metric; default 600.</summary>
    public int Samples { get; set; } = 600;

    /// <summary>Time between samples; default 500 ms.</summary>
    public int IntervalMs { get; set; } = 500;

    /// <summary>Mean length of a bottleneck (on) period, in samples; default 20.</summary>
    public double MeanOnSamples { get; set; } = 20;

    /// <summary>Mean length of a normal (off) period, in samples; default 40.</summary>
    public double MeanOffSamples { get; set; } = 40;

    /// <summary>Mean CPU utilization outside bottlenecks; default 0.35.</summary>
    public double BaseLoad { get; set; } = 0.35;

    /// <summary>Mean CPU utilization during a bottleneck; default 0.96.</summary>
    public double BottleneckLoad { get; set; } = 0.96;

    /// <summary>Standard deviation of the noise on utilizations; default 0.03.</summary>
    public double Noise { get; set; } = 0.03;

    /// <summary>Seed of the random generator; default 1.</summary>
    public int Seed { get; set; } = 1;
}

/// <summary>
/// Synthesizes a metric trace with a seeded on/off bottleneck pattern, like the one the
/// bottleneck experiment injects: for tests, demos and <c>predict-eval</c> without a recorded run.
/// </summary>
/// <remarks>
/// Per worker: <c>cpu</c> wanders around <see cref="TraceGeneratorOptions.BaseLoad"/> (AR(1), φ = 0.7)
/// and, on the first <see cref="TraceGeneratorOptions.BottleneckedWorkers"/> workers, switches to
/// <see cref="TraceGeneratorOptions.BottleneckLoad"/> for periods of geometric length (at least 3 samples);
/// <c>node_cpu</c> is the mean <c>cpu</c> of all workers plus a little background; <c>net_in</c> is
/// proportional to the worker's load outside bottlenecks and drops during one (a stalled worker
/// receives less), in bytes per second with a 100 MB/s capacity.
/// </remarks>
public static class TraceGenerator
{
    /// <summary>The network capacity the generated <c>net_in</c> values assume, bytes per second.</summary>
    public const double NetworkCapacity = 100e6;

    /// <summary>Generates the trace, ordered by time then worker.</summary>
    public static List<TracePoint> Generate(TraceGeneratorOptions? options = null)
    {
        options ??= new TraceGeneratorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Samples, 1);
        var random = new Random(options.Seed);
        int workers = options.Workers, n = options.Samples;
        var cpu = new double[workers, n];
        var net = new double[workers, n];
        for (int w = 0; w < workers; w++)
        {
            bool bottlenecked = w < options.BottleneckedWorkers;
            bool on = false;
            int left = Duration(random, options.MeanOffSamples);
            double deviation = 0;
            for (int t = 0; t < n; t++)
            {
                if (bottlenecked && left-- <= 0)
                {
                    on = !on;
                    left = Duration(random, on ? options.MeanOnSamples : options.MeanOffSamples);
                }
                deviation = 0.7 * deviation + 0.07 * Gaussian(random);
                double level = on ? options.BottleneckLoad : options.BaseLoad + deviation;
                cpu[w, t] = Math.Clamp(level + options.Noise * Gaussian(random), 0, 1);
                net[w, t] = Math.Max(0, NetworkCapacity * (on ? 0.1 : 0.5 * cpu[w, t]) * (1 + 0.1 * Gaussian(random)));
            }
        }
        var trace = new List<TracePoint>(workers * n * 3);
        for (int t = 0; t < n; t++)
        {
            long time = (long)t * options.IntervalMs;
            double mean = 0;
            for (int w = 0; w < workers; w++) mean += cpu[w, t] / workers;
            double node = Math.Clamp(mean + 0.05 + 0.01 * Gaussian(random), 0, 1);
            for (int w = 0; w < workers; w++)
            {
                var worker = "w" + w;
                trace.Add(new TracePoint(time, worker, MetricNames.Cpu, cpu[w, t]));
                trace.Add(new TracePoint(time, worker, MetricNames.NodeCpu, node));
                trace.Add(new TracePoint(time, worker, MetricNames.NetIn, net[w, t]));
            }
        }
        return trace;
    }

    /// <summary>Generates the trace and writes it to <paramref name="path"/> in the <see cref="TraceWriter"/> format.</summary>
    public static void Write(string path, TraceGeneratorOptions? options = null)
    {
        using var writer = new TraceWriter(path);
        foreach (var point in Generate(options)) writer.Write(point);
    }

    private static int Duration(Random random, double mean)
    {
        // Geometric with the given mean, at least 3 samples so that a bottleneck is an interval, not a spike.
        double p = 1 / Math.Max(1, mean - 2);
        return 3 + (int)Math.Floor(Math.Log(1 - random.NextDouble()) / Math.Log(1 - Math.Min(p, 0.999)));
    }

    private static double Gaussian(Random random)
    {
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }
}
