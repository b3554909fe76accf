using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Dataflow.Dashboard;

/// <summary>A worker as the dashboard shows it.</summary>
/// <param name="Id">Worker id (<c>local</c> for an embedded run).</param>
/// <param name="Host">Host name or address.</param>
/// <param name="Slots">Subtasks it runs at once.</param>
/// <param name="Job">The job it runs (0: none).</param>
/// <param name="Cpu">CPU utilization of its process (0..1).</param>
/// <param name="MemoryBytes">Its working set.</param>
/// <param name="SecondsSinceHeartbeat">Age of its last heartbeat.</param>
/// <param name="Metrics">Further metrics by name (node CPU, network and disk bytes per second).</param>
public sealed record DashboardWorker(string Id, string Host, int Slots, int Job, double Cpu, long MemoryBytes, double SecondsSinceHeartbeat,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>
/// What the dashboard shows: jobs and their statistics events (the lines of the <c>--stats</c> format,
/// docs/architecture.md §6, so an embedded run and a cluster job feed it the same way) and the workers.
/// Thread-safe; every change bumps <see cref="Version"/>, which the live page follows.
/// </summary>
public sealed class DashboardState : IDisposable
{
    // Enough for a long job's timeline without growing without bound.
    private const int MaxSupersteps = 20_000;
    private const int MaxEvents = 2_000;
    private readonly object _lock = new();
    private readonly Dictionary<string, JobView> _jobs = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private long _version;

    /// <summary>Creates an empty state with its metric instruments (<see cref="DashboardMetrics"/>).</summary>
    public DashboardState() => Metrics = new DashboardMetrics(this);

    /// <summary>The instruments fed from the events.</summary>
    public DashboardMetrics Metrics { get; }

    /// <summary>Increases with every change.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>The workers now (a cluster's registry), or null to show those the last supersteps reported.</summary>
    public Func<IReadOnlyList<DashboardWorker>>? WorkersSource { get; set; }

    /// <summary>Records that job <paramref name="job"/> (<paramref name="name"/>: its program) is in <paramref name="status"/>.</summary>
    public void SetStatus(string job, string name, string status, IReadOnlyList<string>? workers = null)
    {
        lock (_lock)
        {
            var j = Job(job, name);
            if (j.Status == status && (workers is null || workers.SequenceEqual(j.Workers))) return;
            j.Status = status;
            if (workers is not null) j.Workers = workers.ToArray();
            j.Ended = status is "running" or "starting" ? null : j.Ended ?? j.Clock.Elapsed.TotalSeconds;
        }
        Interlocked.Increment(ref _version);
    }

    /// <summary>Adds one statistics event of job <paramref name="job"/>: one JSON line of the <c>--stats</c> format.</summary>
    /// <exception cref="System.Text.Json.JsonException">The line is not a JSON object.</exception>
    public void Ingest(string job, string name, string line)
    {
        var e = JsonNode.Parse(line) as JsonObject ?? throw new System.Text.Json.JsonException("A statistics event is a JSON object.");
        string kind = (string?)e["event"] ?? "";
        lock (_lock)
        {
            var j = Job(job, name);
            e["at_s"] = Math.Round(j.Clock.Elapsed.TotalSeconds, 3);
            switch (kind)
            {
                case "superstep":
                    j.LastTasks = e["tasks"]?.DeepClone();
                    j.LastWorkers = e["workers"]?.DeepClone();
                    var summary = new JsonObject
                    {
                        ["iteration"] = (string?)e["iteration"], ["superstep"] = (int?)e["superstep"], ["parallelism"] = (int?)e["parallelism"],
                        ["duration_ms"] = (double?)e["duration_ms"], ["workset"] = e["workset"]?.DeepClone(), ["aggregators"] = e["aggregators"]?.DeepClone(),
                        ["records"] = e["tasks"] is JsonArray tasks ? tasks.Sum(t => (long?)t?["records_out"] ?? 0) : 0, ["at_s"] = e["at_s"]?.DeepClone(),
                    };
                    Add(j.Supersteps, summary, MaxSupersteps);
                    j.Status = "running";
                    j.Ended = null;
                    break;
                case "rescale": Add(j.Rescales, e, MaxEvents); break;
                case "placement":
                    // Placed again after a barrier onto other workers: the subtasks' state moved.
                    var before = j.Placements.LastOrDefault(p => (int?)p["parallelism"] == (int?)e["parallelism"]);
                    if (e["superstep"] is not null && before is not null && before["assignments"]?.ToJsonString() != e["assignments"]?.ToJsonString()) e["moved"] = true;
                    Add(j.Placements, e, MaxEvents);
                    break;
                case "job":
                    // One program may run several jobs: the program runs on until its status says otherwise.
                    j.Runs.Add(e);
                    break;
                default: Add(j.Events, e, MaxEvents); break; // checkpoints, recoveries, and what later versions add
            }
        }
        Metrics.Record(kind, e);
        Interlocked.Increment(ref _version);
    }

    private static void Add(List<JsonObject> list, JsonObject item, int max)
    {
        if (list.Count == max) list.RemoveAt(0);
        list.Add(item);
    }

    private JobView Job(string id, string name)
    {
        if (!_jobs.TryGetValue(id, out var j))
        {
            _jobs[id] = j = new JobView(id, name);
            _order.Add(id);
        }
        return j;
    }

    /// <summary>The jobs, newest first, as the <c>/api/jobs</c> JSON.</summary>
    public JsonArray JobsJson()
    {
        lock (_lock)
        {
            var array = new JsonArray();
            for (int i = _order.Count - 1; i >= 0; i--) array.Add(_jobs[_order[i]].Summary());
            return array;
        }
    }

    /// <summary>One job with its timeline, rescales, placements, last per-subtask statistics and other events, or null.</summary>
    public JsonObject? JobJson(string id)
    {
        lock (_lock)
        {
            if (!_jobs.TryGetValue(id, out var j)) return null;
            var o = j.Summary();
            o["supersteps"] = new JsonArray(j.Supersteps.Select(s => (JsonNode)s.DeepClone()).ToArray());
            o["rescales"] = new JsonArray(j.Rescales.Select(s => (JsonNode)s.DeepClone()).ToArray());
            o["placements"] = new JsonArray(j.Placements.TakeLast(50).Select(s => (JsonNode)s.DeepClone()).ToArray());
            o["runs"] = new JsonArray(j.Runs.Select(s => (JsonNode)s.DeepClone()).ToArray());
            o["events"] = new JsonArray(j.Events.Select(s => (JsonNode)s.DeepClone()).ToArray());
            o["tasks"] = j.LastTasks?.DeepClone() ?? new JsonArray();
            return o;
        }
    }

    /// <summary>The workers: <see cref="WorkersSource"/>'s, or those of the supersteps reported last, with the forecasts of the last placement.</summary>
    public JsonArray WorkersJson()
    {
        var workers = WorkersSource?.Invoke() ?? ReportedWorkers();
        Dictionary<string, JsonNode?> forecasts;
        lock (_lock)
        {
            // The newest placement of any job carries the predictor's forecasts per worker.
            var last = _order.Select(id => _jobs[id].Placements.LastOrDefault()).Where(p => p is not null).LastOrDefault();
            forecasts = (last?["predictions"] as JsonObject)?.ToDictionary(kv => kv.Key, kv => kv.Value?.DeepClone()) ?? new();
        }
        var array = new JsonArray();
        foreach (var w in workers)
        {
            var metrics = new JsonObject();
            foreach (var (k, v) in w.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (double.IsFinite(v)) metrics[k] = Math.Round(v, 4);
            }
            array.Add(new JsonObject
            {
                ["id"] = w.Id, ["host"] = w.Host, ["slots"] = w.Slots, ["job"] = w.Job, ["cpu"] = Math.Round(w.Cpu, 4), ["memory_bytes"] = w.MemoryBytes,
                ["seconds_since_heartbeat"] = Math.Round(w.SecondsSinceHeartbeat, 1), ["metrics"] = metrics, ["forecast"] = forecasts.GetValueOrDefault(w.Id),
            });
        }
        return array;
    }

    /// <summary>The workers for the gauges: the source's, or the ones reported last.</summary>
    internal IReadOnlyList<DashboardWorker> CurrentWorkers() => WorkersSource?.Invoke() ?? ReportedWorkers();

    private List<DashboardWorker> ReportedWorkers()
    {
        lock (_lock)
        {
            var last = _order.Select(id => _jobs[id]).LastOrDefault(j => j.LastWorkers is not null);
            if (last?.LastWorkers is not JsonArray reported) return [];
            return reported.OfType<JsonObject>().Select(w => new DashboardWorker((string?)w["worker"] ?? "?", "", 0, 0, (double?)w["cpu"] ?? 0, (long?)w["memory_bytes"] ?? 0,
                last.Clock.Elapsed.TotalSeconds - ((double?)last.Supersteps.LastOrDefault()?["at_s"] ?? 0),
                w.Where(kv => kv.Key is not ("worker" or "cpu" or "memory_bytes") && kv.Value is JsonValue).ToDictionary(kv => kv.Key, kv => (double)kv.Value!))).ToList();
        }
    }

    /// <summary>Disposes the metric instruments.</summary>
    public void Dispose() => Metrics.Dispose();

    private sealed class JobView(string id, string name)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public Stopwatch Clock { get; } = Stopwatch.StartNew();
        public string Status { get; set; } = "running";
        public double? Ended { get; set; }
        public string[] Workers { get; set; } = [];
        public List<JsonObject> Supersteps { get; } = new();
        public List<JsonObject> Rescales { get; } = new();
        public List<JsonObject> Placements { get; } = new();
        public List<JsonObject> Runs { get; } = new();
        public List<JsonObject> Events { get; } = new();
        public JsonNode? LastTasks { get; set; }
        public JsonNode? LastWorkers { get; set; }

        public JsonObject Summary()
        {
            var last = Supersteps.LastOrDefault();
            return new JsonObject
            {
                ["id"] = Id, ["name"] = Name, ["status"] = Status, ["workers"] = new JsonArray(Workers.Select(w => (JsonNode?)w).ToArray()),
                ["superstep_count"] = Supersteps.Count, ["rescale_count"] = Rescales.Count, ["parallelism"] = last?["parallelism"]?.DeepClone(),
                ["last_duration_ms"] = last?["duration_ms"]?.DeepClone(), ["elapsed_s"] = Math.Round(Ended ?? Clock.Elapsed.TotalSeconds, 1),
            };
        }
    }
}
