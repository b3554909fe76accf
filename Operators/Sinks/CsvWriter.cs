using System.Globalization;
using System.Text;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow;

/// <summary>Writes the fields of one CSV row; doubles round-trip, strings are quoted when needed.</summary>
public sealed class CsvWriter
{
    private readonly TextWriter _writer;
    private readonly char _separator;
    private bool _first = true;

    /// <summary>Creates a writer over <paramref name="writer"/>.</summary>
    public CsvWriter(TextWriter writer, char separator = ',')
    {
        _writer = writer;
        _separator = separator;
    }

    private void Separator()
    {
        if (!_first) _writer.Write(_separator);
        _first = false;
    }

    /// <summary>Writes an integer field.</summary>
    public CsvWriter Field(long value)
    {
        Separator();
        Span<char> buf = stackalloc char[24];
        value.TryFormat(buf, out int n, default, CultureInfo.InvariantCulture);
        _writer.Write(buf[..n]);
        return this;
    }

    /// <summary>Writes a double in shortest round-trip form.</summary>
    public CsvWriter Field(double value)
    {
        Separator();
        Span<char> buf = stackalloc char[32];
        value.TryFormat(buf, out int n, "R", CultureInfo.InvariantCulture);
        _writer.Write(buf[..n]);
        return this;
    }

    /// <summary>Writes a string field, quoted when it holds the separator, a quote or a newline.</summary>
    public CsvWriter Field(string? value)
    {
        Separator();
        value ??= "";
        if (value.AsSpan().IndexOfAny(_separator, '"', '\n') >= 0 || value.Contains('\r'))
        {
            _writer.Write('"');
            _writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
            _writer.Write('"');
        }
        else
        {
            _writer.Write(value);
        }
        return this;
    }

    /// <summary>Ends the current row (the next field starts a new one).</summary>
    public void EndRow() => _first = true;
}
