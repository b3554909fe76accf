using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;

namespace Dataflow.Dashboard;

/// <summary>
/// The engine's <see cref="System.Diagnostics.Metrics"/> instruments (meter <see cref="MeterName"/>), recorded from the
/// statistics events a dashboard receives, so they count each superstep once wherever the job ran; the dashboard
/// exports them as Prometheus text at <c>/metrics</c> through OpenTelemetry.
/// </summary>
public sealed class DashboardMetrics : IDisposable
{
    /// <summary>The meter's name (what an OpenTelemetry <c>AddMeter</c> selects).</summary>
    public const string MeterName = "Dataflow";

    private readonly Meter _meter;
    private readonly Counter<long> _supersteps;
    private readonly Histogram<double> _superstepDuration;
    private readonly Counter<long> _recordsIn, _recordsOut, _bytesIn, _bytesOut;
    private readonly Counter<double> _busy;
    private readonly Counter<long> _rescales, _moves, _acquired, _released;

    internal DashboardMetrics(DashboardState state)
    {
        _meter = new Meter(MeterName, typeof(DashboardMetrics).Assembly.GetName().Version?.ToString());
        _supersteps = _meter.CreateCounter<long>("dataflow.supersteps", "{superstep}", "Supersteps completed");
        _superstepDuration = _meter.CreateHistogram<double>("dataflow.superstep.duration", "s", "Wall time of a superstep");
        _recordsIn = _meter.CreateCounter<long>("dataflow.operator.records_in", "{record}", "Records an operator's subtasks received");
        _recordsOut = _meter.CreateCounter<long>("dataflow.operator.records_out", "{record}", "Records an operator's subtasks produced");
        _bytesIn = _meter.CreateCounter<long>("dataflow.operator.bytes_in", "By", "Bytes an operator's subtasks received over the network");
        _bytesOut = _meter.CreateCounter<long>("dataflow.operator.bytes_out", "By", "Bytes an operator's subtasks sent over the network");
        _busy = _meter.CreateCounter<double>("dataflow.operator.busy_time", "s", "Time an operator's subtasks spent working (not waiting)");
        _rescales = _meter.CreateCounter<long>("dataflow.rescales", "{rescale}", "Changes of an iteration's parallelism at a barrier");
        _moves = _meter.CreateCounter<long>("dataflow.state_moves", "{move}", "Moves of key-group state between subtasks (rescales and placements after a barrier)");
        _acquired = _meter.CreateCounter<long>("dataflow.workers.acquired", "{worker}", "Workers that joined a job for a rescale");
        _released = _meter.CreateCounter<long>("dataflow.workers.released", "{worker}", "Workers a job released after a rescale");
        _meter.CreateObservableGauge("dataflow.worker.cpu", () => state.CurrentWorkers().Select(w => new Measurement<double>(w.Cpu, new KeyValuePair<string, object?>("worker", w.Id))),
            "1", "CPU utilization of a worker's process (0..1)");
        _meter.CreateObservableGauge("dataflow.worker.memory", () => state.CurrentWorkers().Select(w => new Measurement<long>(w.MemoryBytes, new KeyValuePair<string, object?>("worker", w.Id))),
            "By", "Working set of a worker's process");
    }

    internal void Record(string kind, JsonObject e)
    {
        switch (kind)
        {
            case "superstep":
                var iteration = new KeyValuePair<string, object?>("iteration", (string?)e["iteration"]);
                _supersteps.Add(1, iteration);
                _superstepDuration.Record(((double?)e["duration_ms"] ?? 0) / 1000, iteration);
                foreach (var t in (e["tasks"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    var op = new KeyValuePair<string, object?>("operator", (string?)t["operator"]);
                    _recordsIn.Add((long?)t["records_in"] ?? 0, op);
                    _recordsOut.Add((long?)t["records_out"] ?? 0, op);
                    _bytesIn.Add((long?)t["bytes_in"] ?? 0, op);
                    _bytesOut.Add((long?)t["bytes_out"] ?? 0, op);
                    _busy.Add(((double?)t["busy_ms"] ?? 0) / 1000, op);
                }
                break;
            case "rescale":
                var policy = new KeyValuePair<string, object?>("policy", (string?)e["policy"]);
                _rescales.Add(1, policy);
                _moves.Add(1, new KeyValuePair<string, object?>("cause", "rescale"));
                _acquired.Add((e["joined"] as JsonArray)?.Count ?? 0);
                _released.Add((e["released"] as JsonArray)?.Count ?? 0);
                break;
            case "placement" when (bool?)e["moved"] == true:
                _moves.Add(1, new KeyValuePair<string, object?>("cause", "placement"));
                break;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
