using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Evaluation;

/// <summary>Prediction quality for one metric, over all workers of a trace.</summary>
/// <param name="Metric">The metric (or <c>all</c> for the total).</param>
/// <param name="Series">Number of worker series evaluated.</param>
/// <param name="Points">Number of time points evaluated (each with a full horizon of observations after it).</param>
/// <param name="Predicted">Points at which a bottleneck was predicted within the horizon.</param>
/// <param name="Observed">Points followed by an observed bottleneck within the horizon.</param>
/// <param name="Hits">Points with both.</param>
/// <param name="Mae">Mean absolute error of all predicted values (every step of every horizon), in normalized units.</param>
public sealed record MetricEvaluation(string Metric, int Series, int Points, int Predicted, int Observed, int Hits, double Mae)
{
    /// <summary>Hit rate = hits / predicted: the fraction of predicted bottlenecks that occurred (NaN when none was predicted).</summary>
    public double HitRate => Predicted == 0 ? double.NaN : (double)Hits / Predicted;

    /// <summary>Recall = hits / observed: the fraction of bottlenecks that were predicted (NaN when none occurred).</summary>
    public double Recall => Observed == 0 ? double.NaN : (double)Hits / Observed;
}

/// <summary>
/// <c>predict-eval</c>: replays a recorded metric trace, per worker and metric, through a load
/// predictor and measures how well it predicts bottlenecks (docs/architecture.md §9).
/// </summary>
/// <remarks>
/// At every time t (after the warm-up, and while t + horizon is still in the trace) the predictor,
/// having observed the values up to t, predicts the next <c>horizon</c> values. A bottleneck is
/// <i>predicted</i> at t when one of them is at or above τ, and <i>observed</i> when one of the
/// actual next <c>horizon</c> values is; a predicted bottleneck is a hit when one is observed.
/// Hit rate = hits / predicted, recall = hits / observed, and the mean absolute error is taken over
/// every predicted value. Values are normalized first: utilizations as they are, other metrics
/// divided by their capacity (<see cref="PredictEvalOptions.Capacities"/>, else the series maximum).
/// NaN values (unmeasured) are dropped.
/// </remarks>
public static partial class PredictEval
{
    /// <summary>The name of the persistence baseline model.</summary>
    public const string PersistenceName = "last";

    /// <summary>Evaluates <paramref name="trace"/>; one row per metric (in first-appearance order) and a last row <c>all</c>.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static IReadOnlyList<MetricEvaluation> Evaluate(IEnumerable<TracePoint> trace, PredictEvalOptions options)
    {
        options.Validate();
        var detector = new BottleneckDetector(options.Threshold);
        var series = new Dictionary<(string Metric, string Worker), List<TracePoint>>();
        var metrics = new List<string>();
        foreach (var point in trace)
        {
            if (options.Metrics is not null && !options.Metrics.Contains(point.Metric)) continue;
            if (!series.TryGetValue((point.Metric, point.Worker), out var list))
            {
                series.Add((point.Metric, point.Worker), list = []);
                if (!metrics.Contains(point.Metric)) metrics.Add(point.Metric);
            }
            if (double.IsFinite(point.Value)) list.Add(point);
        }
        var rows = new List<MetricEvaluation>();
        var total = new Accumulator();
        foreach (var metric in metrics)
        {
            var row = new Accumulator();
            foreach (var ((m, _), points) in series)
            {
                if (m != metric) continue;
                var values = Normalize(metric, points, options);
                row.Add(EvaluateSeries(values, options, detector));
            }
            rows.Add(row.ToEvaluation(metric));
            total.Add(row);
        }
        rows.Add(total.ToEvaluation("all"));
        return rows;
    }

    private static double[] Normalize(string metric, List<TracePoint> points, PredictEvalOptions options)
    {
        // Stable sort: a trace written by several threads may interleave times slightly.
        var values = points.OrderBy(p => p.TimeMs).Select(p => p.Value).ToArray();
        if (MetricNames.IsUtilization(metric) || values.Length == 0) return values;
        double capacity = options.Capacities.TryGetValue(metric, out var c) ? c : values.Max();
        if (!(capacity > 0)) return new double[values.Length];
        for (int i = 0; i < values.Length; i++) values[i] /= capacity;
        return values;
    }

    private static Accumulator EvaluateSeries(double[] values, PredictEvalOptions options, BottleneckDetector detector)
    {
        var result = new Accumulator { Series = 1 };
        var predictor = CreatePredictor(options);
        int h = options.Horizon;
        for (int t = 0; t + h < values.Length; t++)
        {
            predictor.Observe(values[t]);
            if (t + 1 < options.Warmup) continue;
            var predicted = predictor.Predict(h);
            var actual = values.AsSpan(t + 1, h);
            bool p = detector.IsBottleneck(predicted), o = detector.IsBottleneck(actual);
            result.Points++;
            if (p) result.Predicted++;
            if (o) result.Observed++;
            if (p && o) result.Hits++;
            for (int k = 0; k < h; k++) result.AbsoluteError += Math.Abs(predicted[k] - actual[k]);
            result.Errors += h;
        }
        return result;
    }

    private static ILoadPredictor CreatePredictor(PredictEvalOptions options) => options.Model switch
    {
        PersistenceName => new PersistencePredictor(),
        SlidingHmmPredictor.PredictorName => new SlidingHmmPredictor(new SlidingHmmOptions { Window = options.Window ?? 60, Mode = options.HmmMode }),
        _ => LoadPredictors.Factory(options.Model, options.Window)(),
    };

    private sealed class Accumulator
    {
        public int Series, Points, Predicted, Observed, Hits;
        public long Errors;
        public double AbsoluteError;

        public void Add(Accumulator other)
        {
            Series += other.Series;
            Points += other.Points;
            Predicted += other.Predicted;
            Observed += other.Observed;
            Hits += other.Hits;
            Errors += other.Errors;
            AbsoluteError += other.AbsoluteError;
        }

        public MetricEvaluation ToEvaluation(string metric) =>
            new(metric, Series, Points, Predicted, Observed, Hits, Errors == 0 ? double.NaN : AbsoluteError / Errors);
    }

    /// <summary>The baseline: tomorrow is like today.</summary>
    private sealed class PersistencePredictor : ILoadPredictor
    {
        private double _last = double.NaN;

        public string Name => PersistenceName;

        public int Count { get; private set; }

        public void Observe(double value)
        {
            if (!double.IsFinite(value)) return;
            _last = value;
            Count = 1;
        }

        public double[] Predict(int horizon)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
            if (Count == 0) throw new InvalidOperationException("No observations yet.");
            return Enumerable.Repeat(Math.Clamp(_last, 0, 1), horizon).ToArray();
        }

        public void Reset() => (_last, Count) = (double.NaN, 0);
    }
}
