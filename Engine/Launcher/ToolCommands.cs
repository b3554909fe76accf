using System.CommandLine;
using System.Globalization;
using Dataflow.CommandLine;
using Dataflow.Elasticity.ScaleOut;
using Dataflow.Scheduling.Evaluation;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Launcher;

/// <summary>The tools beside the cluster commands: <c>predict-eval</c> and <c>scaleout</c>.</summary>
internal static class ToolCommands
{
    /// <summary><c>predict-eval --trace F --model arima|slidhmm|last [--horizon H] [--threshold T] [--window N] [--warmup N] [--metrics a,b] [--capacity METRIC=VALUE]... [--hmm-mode expected|most-likely]</c>.</summary>
    public static Command PredictEvalCommand()
    {
        var trace = new Option<string>("--trace") { Description = "the metric trace (CSV: time_ms,worker,metric,value), recorded with run --trace or coordinator --trace", Required = true };
        var model = CommandLineOptions.OneOf(new Option<string>("--model") { Description = "the predictor", Required = true },
            [.. LoadPredictors.Names, PredictEval.PersistenceName]);
        var defaults = new PredictEvalOptions();
        var horizon = CommandLineOptions.Int("--horizon", "steps ahead to predict", defaults.Horizon, 1);
        var threshold = new Option<double>("--threshold") { Description = "the utilization at which a node is a bottleneck", DefaultValueFactory = _ => defaults.Threshold };
        var window = new Option<int?>("--window") { Description = "the predictor's sliding window (at least 10; default: the predictor's)" };
        var warmup = CommandLineOptions.Int("--warmup", "points of each series seen before predicting", defaults.Warmup, 1);
        var metrics = new Option<string>("--metrics") { Description = "the metrics to evaluate, comma-separated (default: all in the trace)" };
        var capacity = new Option<string[]>("--capacity") { Description = "METRIC=VALUE: the capacity of a metric that is not a utilization (bytes/s); may be repeated", AllowMultipleArgumentsPerToken = false };
        var hmmMode = CommandLineOptions.OneOf(new Option<string>("--hmm-mode") { Description = "how the sliding HMM predicts", DefaultValueFactory = _ => "most-likely" }, "expected", "most-likely");
        var command = new Command("predict-eval", "replays a metric trace through a load predictor and prints, per metric, the bottleneck hit rate, recall and mean absolute error")
        {
            trace, model, horizon, threshold, window, warmup, metrics, capacity, hmmMode,
        };
        command.SetAction(r =>
        {
            var options = new PredictEvalOptions
            {
                Model = r.GetValue(model)!,
                Horizon = r.GetValue(horizon),
                Threshold = r.GetValue(threshold),
                Window = r.GetValue(window),
                Warmup = r.GetValue(warmup),
                Metrics = r.GetValue(metrics)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                HmmMode = r.GetValue(hmmMode) == "expected" ? HmmPredictionMode.Expected : HmmPredictionMode.MostLikely,
            };
            foreach (var pair in r.GetValue(capacity) ?? [])
            {
                var parts = pair.Split('=', 2);
                if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                {
                    throw new ArgumentException($"--capacity expects METRIC=VALUE, got '{pair}'");
                }
                options.Capacities[parts[0]] = value;
            }
            return PredictEval.Run(options, r.GetValue(trace)!, Console.Out, Console.Error);
        });
        return command;
    }

    /// <summary><c>scaleout --history F.csv --target-ms T --min A --max B</c>.</summary>
    public static Command ScaleOutCommand()
    {
        var history = new Option<string>("--history") { Description = "earlier runs (CSV: header, then scale-out,runtime-ms rows)", Required = true };
        var target = new Option<double>("--target-ms") { Description = "the runtime to finish under", Required = true };
        var min = CommandLineOptions.Int("--min", "the smallest scale-out to consider", 1, 1);
        min.Required = true;
        min.DefaultValueFactory = null;
        var max = CommandLineOptions.Int("--max", "the largest scale-out to consider", 1, 1);
        max.Required = true;
        max.DefaultValueFactory = null;
        var command = new Command("scaleout", "the allocation assistant for recurring jobs: from earlier runs picks the smallest scale-out in [min, max] predicted to finish under the target (Bell inside the observed range, Ernest outside)")
        {
            history, target, min, max,
        };
        command.SetAction(r =>
        {
            var (x, y) = ScaleOutAssistant.ReadHistory(r.GetValue(history)!);
            int lo = r.GetValue(min), hi = r.GetValue(max);
            double goal = r.GetValue(target);
            var result = ScaleOutAssistant.Recommend(x, y, lo, hi, goal);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scale-out {result.ScaleOut}, predicted runtime {Math.Round(result.PredictedRuntime)} ms{(result.MeetsTarget ? "" : $" (no scale-out in {lo}..{hi} is predicted under {goal} ms; this is the fastest)")}"));
            return 0;
        });
        return command;
    }
}
