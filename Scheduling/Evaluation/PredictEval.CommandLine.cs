using System.Globalization;
using Dataflow.Runtime.Execution;
using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Evaluation;

public static partial class PredictEval
{
    /// <summary>
    /// Runs <c>predict-eval</c> (the launcher parses its command line into <paramref name="options"/>):
    /// replays <paramref name="trace"/> and prints the table to <paramref name="output"/>.
    /// </summary>
    /// <returns>0 on success; 1 when the trace is missing or malformed, reported on <paramref name="error"/> with its path (and line).</returns>
    /// <exception cref="ArgumentException">An option is out of range (<see cref="PredictEvalOptions.Validate"/>).</exception>
    public static int Run(PredictEvalOptions options, string trace, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
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
}
