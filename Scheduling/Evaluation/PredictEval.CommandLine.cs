using System.Globalization;
using Dataflow.Runtime.Execution;
using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Evaluation;

public static partial class PredictEval
{
    /// <summary>The usage text of <c>predict-eval</c>.</summary>
    public const string Usage =
        "usage: predict-eval --trace F --model arima|slidhmm|last [--horizon 5] [--threshold 0.9] [--window 60]\n" +
        "                    [--warmup 10] [--metrics cpu,node_cpu,...] [--capacity METRIC=VALUE]... [--hmm-mode expected|most-likely]\n" +
        "  Replays a metric trace (CSV: time_ms,worker,metric,value) per worker and metric through the predictor and prints,\n" +
        "  per metric, the bottleneck hit rate (hits / predicted), recall (hits / observed) and the mean absolute error.";

    /// <summary>
    /// Runs <c>predict-eval</c> with the command-line <paramref name="args"/> (the arguments after the
    /// command name), printing the table to <paramref name="output"/>.
    /// </summary>
    /// <returns>0 on success; 2 for a usage error (unknown option, bad or missing value), reported on <paramref name="error"/> with the usage; 1 when the trace is missing or malformed.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        PredictEvalOptions options;
        string trace;
        try
        {
            (options, trace) = Parse(args);
            options.Validate();
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"predict-eval: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
        if (trace.Length == 0)
        {
            output.WriteLine(Usage);
            return 0;
        }
        IReadOnlyList<MetricEvaluation> rows;
        int points;
        try
        {
            var all = TraceReader.ReadAll(trace);
            points = all.Count;
            rows = Evaluate(all, options);
        }
        catch (Exception e) when (e is FileNotFoundException or InputFormatException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"predict-eval: {e.Message}");
            return 1;
        }
        Print(output, trace, points, options, rows);
        return 0;
    }

    /// <summary>Writes the table of <paramref name="rows"/>.</summary>
    public static void Print(TextWriter output, string trace, int points, PredictEvalOptions options, IReadOnlyList<MetricEvaluation> rows)
    {
        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"predict-eval: trace={trace} ({points} points) model={options.Model} horizon={options.Horizon} threshold={options.Threshold} window={(options.Window?.ToString(c) ?? "default")}"));
        output.WriteLine($"{"metric",-12} {"series",6} {"points",8} {"predicted",9} {"observed",9} {"hits",7} {"hit_rate",8} {"recall",8} {"mae",8}");
        foreach (var r in rows)
        {
            output.WriteLine(string.Create(c,
                $"{r.Metric,-12} {r.Series,6} {r.Points,8} {r.Predicted,9} {r.Observed,9} {r.Hits,7} {Format(r.HitRate),8} {Format(r.Recall),8} {Format(r.Mae),8}"));
        }

        static string Format(double v) => double.IsNaN(v) ? "-" : v.ToString("F3", CultureInfo.InvariantCulture);
    }

    // Returns an empty trace path for --help.
    private static (PredictEvalOptions Options, string Trace) Parse(string[] args)
    {
        var options = new PredictEvalOptions();
        string? trace = null;
        bool model = false;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h") return (options, "");
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            switch (name)
            {
                case "--trace": trace = Value(); break;
                case "--model": options.Model = Value(); model = true; break;
                case "--horizon": options.Horizon = ParseInt(name, Value()); break;
                case "--threshold": options.Threshold = ParseDouble(name, Value()); break;
                case "--window": options.Window = ParseInt(name, Value()); break;
                case "--warmup": options.Warmup = ParseInt(name, Value()); break;
                case "--metrics": options.Metrics = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--capacity":
                    var pair = Value().Split('=', 2);
                    if (pair.Length != 2) throw new ArgumentException($"--capacity expects METRIC=VALUE, found '{args[i]}'.");
                    options.Capacities[pair[0]] = ParseDouble(name, pair[1]);
                    break;
                case "--hmm-mode":
                    options.HmmMode = Value() switch
                    {
                        "expected" => HmmPredictionMode.Expected,
                        "most-likely" => HmmPredictionMode.MostLikely,
                        var other => throw new ArgumentException($"--hmm-mode expects expected or most-likely, found '{other}'."),
                    };
                    break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }
        if (trace is null) throw new ArgumentException("--trace is required.");
        if (!model) throw new ArgumentException("--model is required.");
        return (options, trace);
    }

    private static int ParseInt(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} expects an integer, found '{text}'.");

    private static double ParseDouble(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"{name} expects a number, found '{text}'.");
}
