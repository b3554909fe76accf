using System.Text;

namespace Dataflow.Examples;

/// <summary>
/// Bounds and checks on the examples' input files that the driver makes before a job starts: a row count
/// of zero, an absurd line, or a row too wide to be a point are reported instead of computed with.
/// </summary>
internal static class InputFiles
{
    /// <summary>The longest line accepted, in characters (1 MiB): anything longer is not a row of numbers a person meant.</summary>
    public const int MaxLineLength = 1 << 20;

    /// <summary>The most fields a row may have (the most dimensions of a k-means point).</summary>
    public const int MaxFields = 10_000;

    /// <summary>
    /// The lines of <paramref name="path"/> (UTF-8, <c>\n</c> or <c>\r\n</c>) with their 1-based numbers. A line
    /// longer than <see cref="MaxLineLength"/> throws as soon as the limit is passed, without reading the rest of it.
    /// </summary>
    /// <exception cref="InputFormatException">A line is too long.</exception>
    public static IEnumerable<(long Number, string Text)> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
        var buffer = new char[1 << 16];
        var line = new StringBuilder();
        long number = 1;
        int read;
        while ((read = reader.Read(buffer, 0, buffer.Length)) > 0)
        {
            int start = 0;
            int newline;
            while ((newline = Array.IndexOf(buffer, '\n', start, read - start)) >= 0)
            {
                Append(line, buffer, start, newline - start, path, number);
                yield return (number, TakeLine(line, path, number));
                number++;
                start = newline + 1;
            }
            Append(line, buffer, start, read - start, path, number);
        }
        if (line.Length > 0) yield return (number, TakeLine(line, path, number));
    }

    /// <summary>The first line that is not blank and not a comment, or null when the file has none.</summary>
    /// <exception cref="InputFormatException">A line before it, or it, is too long.</exception>
    public static (long Number, string Text)? FirstRow(string path, char? commentPrefix = null)
    {
        foreach (var (number, text) in ReadLines(path))
        {
            var trimmed = text.AsSpan().TrimStart();
            if (trimmed.IsEmpty || (commentPrefix is char c && trimmed[0] == c)) continue;
            return (number, text);
        }
        return null;
    }

    /// <summary>The first row of <paramref name="path"/>; a file without rows is an error naming it as the <paramref name="role"/> file.</summary>
    /// <exception cref="InvalidDataException">The file has only blank (or comment) lines.</exception>
    public static (long Number, string Text) RequireRows(string path, string role, char? commentPrefix = null) =>
        FirstRow(path, commentPrefix) ?? throw new InvalidDataException($"{role} file {path} has no rows");

    /// <summary>True when <paramref name="path"/> has a character other than spaces and line ends (a byte-order mark aside).</summary>
    public static bool HasText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var buffer = new byte[1 << 16];
        bool first = true;
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            var span = buffer.AsSpan(0, read);
            if (first && span.StartsWith("\uFEFF"u8)) span = span[3..];
            first = false;
            if (span.IndexOfAnyExcept(" \r\n"u8) >= 0) return true;
        }
        return false;
    }

    /// <summary>Throws for a row the driver-side checks would have refused had it been the first: too long or too many fields.</summary>
    /// <exception cref="FormatException">The row is out of bounds (the source reports it as <c>path:line</c>).</exception>
    public static void CheckBounds(CsvRow row)
    {
        if (row.Line.Length > MaxLineLength) throw new FormatException($"line of {row.Line.Length} characters; at most {MaxLineLength} are accepted");
        if (row.Count > MaxFields) throw new FormatException($"{row.Count} fields; at most {MaxFields} are accepted");
    }

    private static void Append(StringBuilder line, char[] chars, int start, int count, string path, long number)
    {
        // Counted before appending, so a single 100 MB line costs at most one buffer past the limit.
        if (line.Length + count > MaxLineLength + 1) // + 1: the '\r' of a CRLF line end
        {
            throw new InputFormatException(path, number, $"line longer than {MaxLineLength} characters");
        }
        line.Append(chars, start, count);
    }

    private static string TakeLine(StringBuilder line, string path, long number)
    {
        if (line.Length > 0 && line[^1] == '\r') line.Length--;
        if (line.Length > MaxLineLength) throw new InputFormatException(path, number, $"line longer than {MaxLineLength} characters");
        var text = line.ToString();
        line.Clear();
        return text;
    }
}
