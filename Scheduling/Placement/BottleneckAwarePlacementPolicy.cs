using System.Globalization;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

// "Placement" names both this namespace and the runtime's subtask → worker record; the alias picks the record.
using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>
/// Bottleneck-aware placement (<c>--placement bottleneck-aware</c>, after Lube): each subtask goes,
/// greedily, to the worker with the best score = locality benefit − predicted-load penalty − spread
/// penalty (<see cref="PlacementOptions"/>), never to a worker predicted to be bottlenecked while a
/// non-bottlenecked worker has a free slot. Without any prediction it places exactly like
/// <see cref="LocalityPlacementPolicy"/>.
/// </summary>
/// <remarks>Subtasks with a preferred worker are placed first, in subtask order; the decision depends only on its arguments and the forecasts.</remarks>
public sealed class BottleneckAwarePlacementPolicy : IExplainedPlacementPolicy
{
    /// <summary>The name used on the command line.</summary>
    public const string PolicyName = "bottleneck-aware";

    private readonly PlacementOptions _options;

    /// <summary>Creates the policy over <paramref name="forecast"/>.</summary>
    public BottleneckAwarePlacementPolicy(ILoadForecast forecast, PlacementOptions? options = null)
    {
        Forecast = forecast ?? throw new ArgumentNullException(nameof(forecast));
        _options = options ?? new PlacementOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <summary>Where the predictions come from.</summary>
    public ILoadForecast Forecast { get; }

    /// <inheritdoc />
    public Placement Place(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current) =>
        Explain(vertex, parallelism, workers, current).ToPlacement();

    /// <inheritdoc />
    public PlacementEvent Explain(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current)
    {
        var predictions = new Dictionary<string, WorkerForecast>();
        foreach (var w in workers)
        {
            if (Forecast.TryGetForecast(w.Id, out var f)) predictions[w.Id] = f;
        }
        if (predictions.Count == 0)
        {
            return LocalityPlacementPolicy.Explain(PolicyName, vertex, parallelism, workers, current, reasonPrefix: "no prediction, locality: ");
        }

        var slots = new SlotTable(workers, parallelism);
        var result = new PlacementAssignment[parallelism];
        var order = Enumerable.Range(0, parallelism).OrderBy(s => slots.Preferred(current, s) is null ? 1 : 0).ThenBy(s => s);
        foreach (int s in order)
        {
            var preferred = slots.Preferred(current, s);
            bool Bottlenecked(string w) => predictions.TryGetValue(w, out var f) && f.Bottleneck;
            bool avoidBottlenecks = slots.AnyFreeSlot(w => !Bottlenecked(w));
            bool requireFree = slots.AnyFreeSlot(_ => true);
            string? best = null;
            double bestScore = double.NegativeInfinity;
            foreach (var w in workers)
            {
                if ((avoidBottlenecks && Bottlenecked(w.Id)) || (requireFree && !slots.HasFreeSlot(w.Id))) continue;
                double score = Score(w.Id, preferred, predictions, slots);
                if (score > bestScore) (best, bestScore) = (w.Id, score);
            }
            best ??= slots.LeastLoaded(_ => true);
            slots.Take(best);
            double load = Load(best, predictions);
            result[s] = new PlacementAssignment(s, best, preferred, best == preferred, load, Reason(best, preferred, predictions, avoidBottlenecks, bestScore));
        }
        return new PlacementEvent(PolicyName, vertex, result, predictions);
    }

    private double Score(string worker, string? preferred, Dictionary<string, WorkerForecast> predictions, SlotTable slots) =>
        (worker == preferred ? _options.LocalityWeight : 0)
        - _options.LoadWeight * Load(worker, predictions)
        - _options.SpreadWeight * slots.Fill(worker);

    private double Load(string worker, Dictionary<string, WorkerForecast> predictions) =>
        predictions.TryGetValue(worker, out var f) ? f.PredictedLoad : _options.UnknownLoad;

    private string Reason(string chosen, string? preferred, Dictionary<string, WorkerForecast> predictions, bool avoidedBottlenecks, double score)
    {
        var c = CultureInfo.InvariantCulture;
        string loadText = string.Create(c, $"predicted load {Load(chosen, predictions):F2}, score {score:F2}");
        if (chosen == preferred) return "local: " + loadText;
        if (preferred is not null && predictions.TryGetValue(preferred, out var p) && p.Bottleneck && avoidedBottlenecks)
        {
            return string.Create(c, $"moved off {preferred}: predicted bottleneck ({p.Metric} {p.PredictedLoad:F2}); {loadText}");
        }
        if (preferred is not null) return $"{preferred} lost on score or slots; {loadText}";
        return $"no preferred worker; {loadText}";
    }
}
