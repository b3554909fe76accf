using System.Globalization;
using Dataflow.Runtime.Execution;

namespace Dataflow.Scheduling.Monitoring;

/// <summary>Reads a metric trace written by <see cref="TraceWriter"/> (or by hand in the same format).</summary>
/// <remarks>
/// The first non-blank line must be the header <c>time_ms,worker,metric,value</c>; blank lines and
/// lines starting with <c>#</c> are skipped. A malformed line throws <see cref="InputFormatException"/>
/// whose message starts with <c>path:line:</c>.
/// </remarks>
public static class TraceReader
{
    /// <summary>Reads every point of the trace at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InputFormatException">A line is malformed.</exception>
    public static List<TracePoint> ReadAll(string path) => Read(path).ToList();

    /// <summary>Streams the points of the trace at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist (thrown on the first enumeration).</exception>
    /// <exception cref="InputFormatException">A line is malformed.</exception>
    public static IEnumerable<TracePoint> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Trace file not found: {path}", path);
        long line = 0;
        bool header = false;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            var trimmed = text.Trim();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            if (!header)
            {
                if (trimmed != TraceWriter.Header) throw new InputFormatException(path, line, $"expected the header '{TraceWriter.Header}'");
                header = true;
                continue;
            }
            yield return Parse(path, line, trimmed);
        }
    }

    private static TracePoint Parse(string path, long line, string text)
    {
        var f = text.Split(',');
        if (f.Length != 4) throw new InputFormatException(path, line, $"expected 4 comma-separated fields 'time_ms,worker,metric,value', found {f.Length}");
        if (!long.TryParse(f[0].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var time))
        {
            throw new InputFormatException(path, line, $"expected an integer time_ms, found {InputFormatException.Quote(f[0])}");
        }
        var worker = f[1].Trim();
        var metric = f[2].Trim();
        if (worker.Length == 0 || metric.Length == 0) throw new InputFormatException(path, line, "expected non-empty worker and metric names");
        if (!double.TryParse(f[3].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new InputFormatException(path, line, $"expected a number as value, found {InputFormatException.Quote(f[3])}");
        }
        return new TracePoint(time, worker, metric, value);
    }
}
