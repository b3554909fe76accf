using System.Text.Json;

namespace Dataflow;

/// <summary>
/// Writes statistics as JSON lines (the <c>--stats FILE</c> format of docs/architecture.md §6): one
/// <c>superstep</c> line per superstep, <c>rescale</c>, <c>checkpoint</c> and <c>recovery</c> lines, and a final <c>job</c> line.
/// Field names are a public contract: fields may be added, never renamed or removed.
/// </summary>
public sealed class JsonStatisticsWriter : IDataflowObserver, IDisposable
{
    private readonly string? _path;
    private Stream? _opened;
    private readonly object _lock = new();

    /// <summary>
    /// Creates (or replaces) <paramref name="path"/> at the first event, so that a copy of the program
    /// that never receives events (a cluster worker's) never touches the file.
    /// </summary>
    public JsonStatisticsWriter(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
    }

    /// <summary>Writes to <paramref name="stream"/> (left open).</summary>
    public JsonStatisticsWriter(Stream stream) => _opened = stream;

    /// <summary>Hands each event, as one JSON line without its newline, to <paramref name="line"/> (a dashboard, a cluster job's submitter that forwards them).</summary>
    public JsonStatisticsWriter(Action<string> line) => _line = line ?? throw new ArgumentNullException(nameof(line));

    private readonly Action<string>? _line;

    private Stream Output => _opened ??= new FileStream(_path!, FileMode.Create, FileAccess.Write, FileShare.Read);

    /// <inheritdoc />
    public void OnSuperstep(SuperstepStatistics s) => Write(w =>
    {
        w.WriteString("event", "superstep");
        w.WriteString("iteration", s.Iteration);
        w.WriteNumber("superstep", s.Superstep);
        w.WriteNumber("parallelism", s.Parallelism);
        w.WriteNumber("duration_ms", Math.Round(s.Duration.TotalMilliseconds, 3));
        if (s.Workset is long ws) w.WriteNumber("workset", ws);
        else w.WriteNull("workset");
        w.WriteStartObject("aggregators");
        foreach (var (name, value) in s.Aggregators)
        {
            switch (value)
            {
                case double d when double.IsFinite(d): w.WriteNumber(name, d); break;
                case long l: w.WriteNumber(name, l); break;
                case int i: w.WriteNumber(name, i); break;
                case null: w.WriteNull(name); break;
                default: w.WriteString(name, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            }
        }
        w.WriteEndObject();
        w.WriteStartArray("tasks");
        foreach (var t in s.Tasks)
        {
            w.WriteStartObject();
            w.WriteString("operator", t.Operator);
            w.WriteNumber("subtask", t.Subtask);
            w.WriteString("worker", t.Worker);
            w.WriteNumber("records_in", t.RecordsIn);
            w.WriteNumber("records_out", t.RecordsOut);
            w.WriteNumber("bytes_in", t.BytesIn);
            w.WriteNumber("bytes_out", t.BytesOut);
            w.WriteNumber("busy_ms", Math.Round(t.BusyMs, 3));
            w.WriteNumber("input_wait_ms", Math.Round(t.InputWaitMs, 3));
            w.WriteNumber("output_wait_ms", Math.Round(t.OutputWaitMs, 3));
            w.WriteNumber("cpu_ms", Math.Round(t.CpuMs, 3));
            w.WriteNumber("allocated_bytes", t.AllocatedBytes);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("workers");
        foreach (var wk in s.Workers)
        {
            w.WriteStartObject();
            w.WriteString("worker", wk.Worker);
            w.WriteNumber("cpu", Math.Round(wk.Cpu, 4));
            w.WriteNumber("memory_bytes", wk.MemoryBytes);
            if (wk.Metrics is { } metrics)
            {
                foreach (var (name, value) in metrics)
                {
                    if (name is not ("cpu" or "memory") && double.IsFinite(value)) w.WriteNumber(name, Math.Round(value, 4));
                }
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    /// <inheritdoc />
    public void OnPlacement(PlacementRecord p) => Write(w =>
    {
        w.WriteString("event", "placement");
        w.WriteNumber("step", p.Step);
        if (p.Superstep > 0) w.WriteNumber("superstep", p.Superstep);
        w.WriteString("policy", p.Policy);
        w.WriteNumber("parallelism", p.Parallelism);
        w.WriteStartObject("assignments");
        for (int i = 0; i < p.Workers.Count; i++) w.WriteString(i.ToString(System.Globalization.CultureInfo.InvariantCulture), p.Workers[i]);
        w.WriteEndObject();
        w.WriteStartObject("predictions");
        foreach (var (worker, (load, bottleneck)) in p.Predictions)
        {
            w.WriteStartObject(worker);
            if (double.IsFinite(load)) w.WriteNumber("load", Math.Round(load, 4));
            w.WriteBoolean("bottleneck", bottleneck);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    });

    /// <inheritdoc />
    public void OnRescale(RescaleEvent r) => Write(w =>
    {
        w.WriteString("event", "rescale");
        w.WriteString("iteration", r.Iteration);
        w.WriteNumber("superstep", r.Superstep);
        w.WriteNumber("from", r.From);
        w.WriteNumber("to", r.To);
        w.WriteString("policy", r.Policy);
        w.WriteString("reason", r.Reason);
        w.WriteNumber("duration_ms", Math.Round(r.Duration.TotalMilliseconds, 3));
        if (r.Workers > 0)
        {
            w.WriteNumber("workers", r.Workers);
            w.WriteNumber("acquire_ms", Math.Round(r.Acquire.TotalMilliseconds, 3));
            if (r.Joined.Count > 0) w.WriteNumber("join_rehearsal_ms", Math.Round(r.JoinRehearsal.TotalMilliseconds, 3));
            if (r.Phases.Count == 3)
            {
                w.WriteNumber("export_ms", Math.Round(r.Phases[0], 3));
                w.WriteNumber("exchange_ms", Math.Round(r.Phases[1], 3));
                w.WriteNumber("import_ms", Math.Round(r.Phases[2], 3));
            }
            w.WriteStartArray("joined");
            foreach (var id in r.Joined) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteStartArray("joined_from_standby");
            foreach (var id in r.JoinedFromStandby) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteStartArray("released");
            foreach (var id in r.Released) w.WriteStringValue(id);
            w.WriteEndArray();
        }
    });

    /// <inheritdoc />
    public void OnCheckpoint(CheckpointEvent c) => Write(w =>
    {
        w.WriteString("event", "checkpoint");
        w.WriteString("iteration", c.Iteration);
        w.WriteNumber("superstep", c.Superstep);
        w.WriteNumber("parallelism", c.Parallelism);
        w.WriteNumber("bytes", c.Bytes);
        w.WriteNumber("snapshot_ms", Math.Round(c.Snapshot.TotalMilliseconds, 3));
        w.WriteNumber("write_ms", Math.Round(c.Write.TotalMilliseconds, 3));
        w.WriteNumber("wait_ms", Math.Round(c.Wait.TotalMilliseconds, 3));
        w.WriteString("folder", c.Folder);
    });

    /// <inheritdoc />
    public void OnRecovery(RecoveryEvent r) => Write(w =>
    {
        w.WriteString("event", "recovery");
        w.WriteString("iteration", r.Iteration);
        w.WriteNumber("checkpoint_superstep", r.Superstep);
        w.WriteNumber("parallelism", r.Parallelism);
        w.WriteString("reason", r.Reason);
        if (r.LostWorker is not null) w.WriteString("lost_worker", r.LostWorker);
        else w.WriteNull("lost_worker");
        if (r.FailedSuperstep is { } failed) w.WriteNumber("failed_superstep", failed);
        w.WriteNumber("supersteps_replayed", r.Replayed);
        if (r.ParallelismBefore is { } before) w.WriteNumber("parallelism_before", before);
        if (r.Replacement is not null) w.WriteString("replacement", r.Replacement);
        w.WriteNumber("restore_ms", Math.Round(r.Restore.TotalMilliseconds, 3));
        w.WriteNumber("restore_bytes", r.Bytes);
        w.WriteNumber("recovery_ms", Math.Round(r.Duration.TotalMilliseconds, 3));
        w.WriteString("folder", r.Folder);
    });

    /// <inheritdoc />
    public void OnJobFinished(JobSummary job) => Write(w =>
    {
        w.WriteString("event", "job");
        w.WriteString("status", job.Status);
        w.WriteNumber("duration_ms", Math.Round(job.Duration.TotalMilliseconds, 3));
        w.WriteNumber("supersteps", job.Supersteps);
        if (job.Error is not null) w.WriteString("error", job.Error);
    });

    private void Write(Action<Utf8JsonWriter> body)
    {
        if (_line is not null)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            _line(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
            return;
        }
        lock (_lock)
        {
            using (var w = new Utf8JsonWriter(Output))
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            }
            Output.WriteByte((byte)'\n');
            Output.Flush();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _opened?.Dispose();
}
