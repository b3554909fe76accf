using System.Globalization;
using Dataflow.Operators.Sources;

namespace Dataflow;

/// <summary>How a delimited text file is split into fields.</summary>
public sealed record CsvFormat
{
    /// <summary>Comma-separated, optional double quotes, no comments.</summary>
    public static CsvFormat Default { get; } = new();

    /// <summary>Fields separated by runs of spaces or tabs; lines starting with <c>#</c> are comments (edge lists).</summary>
    public static CsvFormat Whitespace { get; } = new() { Separator = ' ', CommentPrefix = '#' };

    /// <summary>The separator; <c>' '</c> means any run of spaces and tabs.</summary>
    public char Separator { get; init; } = ',';

    /// <summary>Lines starting with this character are skipped.</summary>
    public char? CommentPrefix { get; init; }

    /// <summary>True to skip the first line of the file.</summary>
    public bool HasHeader { get; init; }
}

/// <summary>Parses one row of a delimited file into a record. Throwing reports the line as malformed.</summary>
public delegate T CsvParser<T>(CsvRow row);

/// <summary>
/// One row of a delimited file, as field spans over a reused buffer: reading numbers from it
/// allocates nothing. Valid only during the parse call.
/// </summary>
public readonly ref struct CsvRow
{
    private readonly ReadOnlySpan<char> _line;
    private readonly ReadOnlySpan<int> _bounds;

    internal CsvRow(ReadOnlySpan<char> line, ReadOnlySpan<int> bounds)
    {
        _line = line;
        _bounds = bounds;
    }

    /// <summary>Number of fields.</summary>
    public int Count => _bounds.Length / 2;

    /// <summary>The whole line.</summary>
    public ReadOnlySpan<char> Line => _line;

    /// <summary>The text of field <paramref name="index"/> (without surrounding quotes).</summary>
    public ReadOnlySpan<char> this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) ThrowMissing(index);
            return _line.Slice(_bounds[2 * index], _bounds[2 * index + 1]);
        }
    }

    /// <summary>Field <paramref name="index"/> as a string (doubled quotes unescaped).</summary>
    public string GetString(int index)
    {
        var f = this[index];
        return f.Contains("\"\"", StringComparison.Ordinal) ? f.ToString().Replace("\"\"", "\"", StringComparison.Ordinal) : f.ToString();
    }

    /// <summary>Field <paramref name="index"/> as a 32-bit integer.</summary>
    public int GetInt32(int index)
    {
        var f = this[index];
        if (!int.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)) ThrowBad(index, "an integer", f);
        return v;
    }

    /// <summary>Field <paramref name="index"/> as a 64-bit integer.</summary>
    public long GetInt64(int index)
    {
        var f = this[index];
        if (!long.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) ThrowBad(index, "an integer", f);
        return v;
    }

    /// <summary>Field <paramref name="index"/> as a double.</summary>
    public double GetDouble(int index)
    {
        var f = this[index];
        if (!double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) ThrowBad(index, "a number", f);
        return v;
    }

    /// <summary>Throws unless the row has exactly <paramref name="count"/> fields.</summary>
    public void ExpectFields(int count)
    {
        if (Count != count) throw new FormatException($"expected {count} fields, found {Count}");
    }

    private void ThrowMissing(int index) => throw new FormatException($"expected at least {index + 1} fields, found {Count}");

    private static void ThrowBad(int index, string what, ReadOnlySpan<char> found) =>
        throw new FormatException($"field {index + 1}: expected {what}, found {InputFormatException.Quote(found)}");

    /// <summary>Splits <paramref name="line"/> into (start, length) pairs; returns the number of ints written.</summary>
    internal static int Split(ReadOnlySpan<char> line, CsvFormat format, ref int[] bounds)
    {
        int n = 0;
        if (format.Separator == ' ')
        {
            int i = 0;
            while (true)
            {
                while (i < line.Length && (line[i] == ' ' || line[i] == '\t')) i++;
                if (i >= line.Length) break;
                int start = i;
                while (i < line.Length && line[i] != ' ' && line[i] != '\t') i++;
                Add(ref bounds, ref n, start, i - start);
            }
            return n;
        }
        char sep = format.Separator;
        int pos = 0;
        while (true)
        {
            if (pos < line.Length && line[pos] == '"')
            {
                int j = pos + 1;
                while (true)
                {
                    int q = line[j..].IndexOf('"');
                    if (q < 0) throw new FormatException("unterminated quoted field");
                    j += q;
                    if (j + 1 < line.Length && line[j + 1] == '"') { j += 2; continue; }
                    break;
                }
                Add(ref bounds, ref n, pos + 1, j - pos - 1);
                pos = j + 1;
                if (pos < line.Length && line[pos] != sep) throw new FormatException($"expected '{sep}' after a quoted field");
            }
            else
            {
                int k = line[pos..].IndexOf(sep);
                int len = k < 0 ? line.Length - pos : k;
                Add(ref bounds, ref n, pos, len);
                pos += len;
            }
            if (pos >= line.Length) break;
            pos++; // the separator
        }
        return n;
    }

    private static void Add(ref int[] bounds, ref int n, int start, int length)
    {
        if (n + 2 > bounds.Length) Array.Resize(ref bounds, bounds.Length * 2);
        bounds[n++] = start;
        bounds[n++] = length;
    }
}
