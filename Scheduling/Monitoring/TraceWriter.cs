using System.Globalization;

namespace Dataflow.Scheduling.Monitoring;

/// <summary>
/// Writes a metric trace: CSV with the header <c>time_ms,worker,metric,value</c>, one point per line,
/// values in round-trip format. Read it back with <see cref="TraceReader"/>.
/// </summary>
/// <remarks>
/// Writes to <c>path.tmp</c> and renames it to the final path on <see cref="Dispose"/>, so that a reader
/// never sees a half-written trace. Thread-safe: samples of several workers may be written concurrently.
/// </remarks>
public sealed class TraceWriter : IDisposable
{
    /// <summary>The header line of every trace.</summary>
    public const string Header = "time_ms,worker,metric,value";

    private readonly Lock _lock = new();
    private readonly StreamWriter _writer;
    private readonly string _path;
    private readonly string _temporary;
    private bool _disposed;

    /// <summary>Creates (or replaces) the trace at <paramref name="path"/>.</summary>
    public TraceWriter(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _temporary = path + ".tmp";
        _writer = new StreamWriter(_temporary, append: false) { NewLine = "\n" };
        _writer.WriteLine(Header);
    }

    /// <summary>The final path of the trace.</summary>
    public string Path => _path;

    /// <summary>Writes one point.</summary>
    /// <exception cref="ArgumentException">The worker or metric name is empty or contains a comma or a line break.</exception>
    public void Write(in TracePoint point)
    {
        CheckName(point.Worker, "worker");
        CheckName(point.Metric, "metric");
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            WriteLocked(point.TimeMs, point.Worker, point.Metric, point.Value);
        }
    }

    /// <summary>Writes every metric of <paramref name="sample"/> of <paramref name="worker"/>.</summary>
    public void Write(string worker, in MetricSample sample)
    {
        CheckName(worker, "worker");
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var metric in MetricNames.All) WriteLocked(sample.TimeMs, worker, metric, sample.Get(metric));
        }
    }

    /// <summary>Flushes buffered lines to the temporary file.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (!_disposed) _writer.Flush();
        }
    }

    /// <summary>Closes the file and moves it to <see cref="Path"/>.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _writer.Dispose();
            File.Move(_temporary, _path, overwrite: true);
        }
    }

    private void WriteLocked(long timeMs, string worker, string metric, double value)
    {
        _writer.Write(timeMs.ToString(CultureInfo.InvariantCulture));
        _writer.Write(',');
        _writer.Write(worker);
        _writer.Write(',');
        _writer.Write(metric);
        _writer.Write(',');
        _writer.WriteLine(value.ToString("R", CultureInfo.InvariantCulture));
    }

    private static void CheckName(string name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.AsSpan().IndexOfAny(",\r\n") >= 0)
        {
            throw new ArgumentException($"A trace {what} name must be non-empty and free of commas and line breaks: '{name}'.", what);
        }
    }
}
