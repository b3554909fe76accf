using System.Globalization;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

/// <summary>An input split of a batch job.</summary>
/// <param name="Id">Unique id (for example <c>path:offset</c>).</param>
/// <param name="PreferredWorker">The worker holding its data, if any (locality).</param>
public sealed record InputSplit(string Id, string? PreferredWorker);

/// <summary>The answer to a worker asking for a split: a split, or none and why (a <c>placement</c> event either way).</summary>
/// <param name="Worker">The worker that asked.</param>
/// <param name="Split">The split it gets, or null: nothing now (wait and ask again) or nothing left (<see cref="Finished"/>).</param>
/// <param name="Local">Whether the split's data is on the worker.</param>
/// <param name="PredictedLoad">The worker's predicted load, when there was a prediction.</param>
/// <param name="Finished">True when no split is left to hand out.</param>
/// <param name="Reason">Why, with the inputs that decided it.</param>
public sealed record SplitDecision(string Worker, InputSplit? Split, bool Local, double? PredictedLoad, bool Finished, string Reason);

/// <summary>
/// Hands the input splits of a batch job to workers that ask for work (pull-based, like Spark's task
/// scheduler), preferring locality with delay scheduling and, given a forecast, avoiding predicted bottlenecks.
/// </summary>
/// <remarks>
/// <para>A worker asking gets, in order: nothing if it has no free slot; nothing if it is predicted
/// to be bottlenecked while a worker that is not has a free slot; a split whose data it holds; a
/// split without a (live) preferred worker; a split whose preferred worker is predicted to be
/// bottlenecked; and, once it has waited <see cref="PlacementOptions.LocalityDelay"/> for local
/// work, a split of the worker with the most pending splits. The wait restarts when it gets a local split.</para>
/// <para>Without a forecast it is the locality-only assigner. Thread-safe.</para>
/// </remarks>
public sealed class SplitAssigner
{
    private readonly Lock _lock = new();
    private readonly LinkedList<InputSplit> _pending;
    private readonly Dictionary<string, WorkerInfo> _workers = [];
    private readonly Dictionary<string, HashSet<string>> _running = [];
    private readonly Dictionary<string, long> _waitingSince = [];
    private readonly Dictionary<string, InputSplit> _splitsById = [];
    private readonly ILoadForecast? _forecast;
    private readonly PlacementOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates an assigner of <paramref name="splits"/> over <paramref name="workers"/>; <paramref name="forecast"/> null means locality-only.</summary>
    public SplitAssigner(IEnumerable<InputSplit> splits, IEnumerable<WorkerInfo> workers, ILoadForecast? forecast = null, PlacementOptions? options = null, TimeProvider? timeProvider = null)
    {
        _pending = new LinkedList<InputSplit>(splits);
        foreach (var s in _pending)
        {
            if (!_splitsById.TryAdd(s.Id, s)) throw new ArgumentException($"Duplicate split id '{s.Id}'.", nameof(splits));
        }
        foreach (var w in workers) AddWorker(w);
        _forecast = forecast;
        _options = options ?? new PlacementOptions();
        _options.Validate();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Splits not yet handed out (including requeued ones).</summary>
    public int Pending
    {
        get
        {
            lock (_lock) return _pending.Count;
        }
    }

    /// <summary>Splits handed out and not completed.</summary>
    public int Running
    {
        get
        {
            lock (_lock) return _running.Values.Sum(r => r.Count);
        }
    }

    /// <summary>True when every split was handed out and completed.</summary>
    public bool IsFinished
    {
        get
        {
            lock (_lock) return _pending.Count == 0 && _running.Values.All(r => r.Count == 0);
        }
    }

    /// <summary>Adds a worker (one that joined).</summary>
    public void AddWorker(WorkerInfo worker)
    {
        lock (_lock)
        {
            _workers[worker.Id] = worker;
            _running.TryAdd(worker.Id, []);
        }
    }

    /// <summary>Removes a worker (lost or released) and puts its running splits back in front of the queue; returns them.</summary>
    public IReadOnlyList<InputSplit> RemoveWorker(string worker)
    {
        lock (_lock)
        {
            var requeued = _running.TryGetValue(worker, out var running) ? running.Select(id => _splitsById[id]).ToArray() : [];
            foreach (var split in requeued.Reverse()) _pending.AddFirst(split);
            _workers.Remove(worker);
            _running.Remove(worker);
            _waitingSince.Remove(worker);
            return requeued;
        }
    }

    /// <summary>Marks split <paramref name="splitId"/> of <paramref name="worker"/> done, freeing its slot.</summary>
    /// <exception cref="InvalidOperationException">The worker does not run that split.</exception>
    public void Complete(string worker, string splitId)
    {
        lock (_lock)
        {
            if (!_running.TryGetValue(worker, out var running) || !running.Remove(splitId))
            {
                throw new InvalidOperationException($"Worker {worker} does not run split {splitId}.");
            }
        }
    }

    /// <summary>Answers <paramref name="worker"/>'s request for a split.</summary>
    /// <exception cref="ArgumentException">The worker is unknown.</exception>
    public SplitDecision Request(string worker)
    {
        lock (_lock)
        {
            if (!_workers.TryGetValue(worker, out var info)) throw new ArgumentException($"Unknown worker '{worker}'.", nameof(worker));
            var own = Forecast(worker);
            double? load = own?.PredictedLoad;
            if (_pending.Count == 0) return new SplitDecision(worker, null, false, load, true, "no split left");
            if (_running[worker].Count >= Math.Max(1, info.Slots)) return new SplitDecision(worker, null, false, load, false, "no free slot");

            if (own is { Bottleneck: true })
            {
                var free = _workers.Keys.FirstOrDefault(w => w != worker && HasFreeSlot(w) && Forecast(w) is not { Bottleneck: true });
                if (free is not null)
                {
                    return new SplitDecision(worker, null, false, load, false, Text(
                        $"predicted bottleneck ({own.Metric} {own.PredictedLoad:F2}) while {free} has a free slot"));
                }
            }

            var local = First(s => s.PreferredWorker == worker);
            if (local is not null)
            {
                _waitingSince.Remove(worker);
                return Assign(worker, local, load, "local");
            }
            var unplaced = First(s => s.PreferredWorker is null || !_workers.ContainsKey(s.PreferredWorker));
            if (unplaced is not null) return Assign(worker, unplaced, load, unplaced.PreferredWorker is null ? "no preferred worker" : $"preferred worker {unplaced.PreferredWorker} is gone");
            if (_forecast is not null)
            {
                var stolen = First(s => Forecast(s.PreferredWorker!) is { Bottleneck: true });
                if (stolen is not null) return Assign(worker, stolen, load, $"preferred worker {stolen.PreferredWorker} is predicted to be bottlenecked");
            }

            long now = _time.GetTimestamp();
            if (!_waitingSince.TryGetValue(worker, out var since)) _waitingSince[worker] = since = now;
            var waited = _time.GetElapsedTime(since, now);
            if (waited < _options.LocalityDelay)
            {
                return new SplitDecision(worker, null, false, load, false, Text(
                    $"waiting for a local split ({waited.TotalMilliseconds:F0} of {_options.LocalityDelay.TotalMilliseconds:F0} ms)"));
            }
            // Take from the worker with the most pending splits: it is the one that would finish last.
            var busiest = _pending.GroupBy(s => s.PreferredWorker!).MaxBy(g => g.Count())!.Key;
            return Assign(worker, First(s => s.PreferredWorker == busiest)!, load, Text($"locality delay of {_options.LocalityDelay.TotalMilliseconds:F0} ms expired; taken from {busiest}"));
        }
    }

    private SplitDecision Assign(string worker, InputSplit split, double? load, string reason)
    {
        _pending.Remove(split);
        _running[worker].Add(split.Id);
        return new SplitDecision(worker, split, split.PreferredWorker == worker, load, false, reason);
    }

    private InputSplit? First(Func<InputSplit, bool> where)
    {
        foreach (var s in _pending)
        {
            if (where(s)) return s;
        }
        return null;
    }

    private bool HasFreeSlot(string worker) => _running[worker].Count < Math.Max(1, _workers[worker].Slots);

    private WorkerForecast? Forecast(string worker) =>
        _forecast is not null && _forecast.TryGetForecast(worker, out var f) ? f : null;

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
