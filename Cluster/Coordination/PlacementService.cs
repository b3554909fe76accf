using System.Diagnostics;
using System.Globalization;
using Dataflow.Runtime.Extensibility;
using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Placement;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Cluster;

// "Placement" names this namespace and the runtime's subtask → worker record; the alias picks the record.
using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>Places one job's subtasks: the placement policy its program chose, bound to that job.</summary>
public interface IJobPlacement
{
    /// <summary>Where the <paramref name="parallelism"/> subtasks go on <paramref name="workers"/>, given where they are now (null: not placed yet).</summary>
    PlacementDecision Place(int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current);
}

/// <summary>
/// The coordinator's placement (architecture §9): finds the policy a program chose among the
/// <see cref="IPlacementPolicy"/> services (a user's policy is one <c>AddPlacementPolicy&lt;T&gt;()</c>
/// away) and the built-in ones — <c>locality</c>, and <c>bottleneck-aware</c> with the load the
/// chosen predictor forecasts from the workers' heartbeats — and binds it to the job.
/// </summary>
public sealed class PlacementService
{
    private readonly IReadOnlyList<IPlacementPolicy> _registered;
    private readonly MetricHistory _history = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>Creates the service over the registered policies (the embedded <c>local</c> policy is not one a cluster uses).</summary>
    public PlacementService(IEnumerable<IPlacementPolicy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _registered = policies.Where(p => p is not LocalPlacementPolicy).ToList();
    }

    /// <summary>The metric the bottleneck-aware policy forecasts: the emulated node's CPU utilization (its cgroup's, under a quota) by default.</summary>
    public string Metric { get; init; } = MetricNames.NodeCpu;

    /// <summary>The names a program may choose.</summary>
    public IReadOnlyList<string> Names => [.. _registered.Select(p => p.Name), .. PlacementPolicies.Names];

    /// <summary>Records a worker's heartbeat metrics (the history forecasts are made from).</summary>
    public void Observe(string worker, IReadOnlyList<string> names, IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        long ms = (long)Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        for (int i = 0; i < names.Count && i < values.Count; i++)
        {
            if (double.IsFinite(values[i])) _history.Add(worker, names[i], ms, values[i]);
        }
    }

    /// <summary>The placement of a job whose program chose <paramref name="policy"/> and <paramref name="predictor"/>; null for round-robin (no policy chosen).</summary>
    /// <exception cref="ArgumentException">No policy of that name is registered or built in.</exception>
    public IJobPlacement? ForJob(string policy, string predictor)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(predictor);
        if (policy.Length == 0) return null;
        if (_registered.FirstOrDefault(p => p.Name == policy) is { } registered) return new Bound(registered, null, "");
        if (!PlacementPolicies.Names.Contains(policy))
        {
            throw new ArgumentException($"Unknown placement policy '{policy}'; the coordinator knows: {string.Join(", ", Names)}.", nameof(policy));
        }
        ILoadForecast? forecast = policy == BottleneckAwarePlacementPolicy.PolicyName
            ? new HistoryLoadForecast(_history, LoadPredictors.Factory(predictor.Length == 0 ? ArimaPredictor.PredictorName : predictor),
                new LoadForecastOptions { Metrics = [Metric] })
            : null;
        return new Bound(PlacementPolicies.Create(policy, forecast), forecast, predictor.Length == 0 ? ArimaPredictor.PredictorName : predictor);
    }

    private sealed class Bound(IPlacementPolicy policy, ILoadForecast? forecast, string predictor) : IJobPlacement
    {
        public PlacementDecision Place(int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current)
        {
            // At job start, input split s lives on worker s mod n; at a barrier, the subtask's state is where it runs now.
            var preferred = current ?? new Placement(Enumerable.Range(0, parallelism).Select(s => workers[s % workers.Count].Id).ToArray());
            string vertex = $"parallelism {parallelism.ToString(CultureInfo.InvariantCulture)}";
            if (policy is not IExplainedPlacementPolicy explained)
            {
                var placed = policy.Place(vertex, parallelism, workers, preferred);
                return new PlacementDecision(parallelism, policy.Name, placed.Workers.ToArray(), [], [], []);
            }
            var e = explained.Explain(vertex, parallelism, workers, preferred);
            var predictions = e.Predictions.Values.ToList();
            return new PlacementDecision(parallelism, e.Policy + (forecast is null ? "" : $"/{predictor}"),
                e.Assignments.Select(a => a.Worker).ToArray(), predictions.Select(p => p.Worker).ToArray(),
                predictions.Select(p => p.PredictedLoad).ToArray(), predictions.Select(p => p.Bottleneck).ToArray());
        }
    }
}
