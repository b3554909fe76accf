using System.Globalization;
using System.Text;

namespace Dataflow;

/// <summary>An exception thrown by user code inside an operator, tagged with where it happened.</summary>
public sealed class UserCodeException : Exception
{
    /// <summary>Wraps <paramref name="inner"/> thrown by operator <paramref name="operatorName"/> in subtask <paramref name="subtask"/>.</summary>
    public UserCodeException(string operatorName, int subtask, Exception inner)
        : base($"{operatorName} (subtask {subtask}) threw {inner.GetType().Name}: {inner.Message}", inner)
    {
        OperatorName = operatorName;
        Subtask = subtask;
    }

    /// <summary>The operator whose user function threw.</summary>
    public string OperatorName { get; }

    /// <summary>The subtask index.</summary>
    public int Subtask { get; }
}

/// <summary>A job failed. <see cref="Exception.InnerException"/> is the original cause.</summary>
public sealed class JobExecutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JobExecutionException(string message, string operatorName, int subtask, Exception inner)
        : base(message, inner)
    {
        OperatorName = operatorName;
        Subtask = subtask;
    }

    /// <summary>The operator (or chained task) that failed.</summary>
    public string OperatorName { get; }

    /// <summary>The failed subtask's index.</summary>
    public int Subtask { get; }
}

/// <summary>Bad input data, reported as <c>path:line: what was expected</c>.</summary>
public sealed class InputFormatException : FormatException
{
    /// <summary>Creates the exception for line <paramref name="line"/> (1-based) of <paramref name="path"/>.</summary>
    public InputFormatException(string path, long line, string what, Exception? inner = null)
        : base($"{path}:{line}: {what}", inner)
    {
        Path = path;
        Line = line;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The 1-based line number.</summary>
    public long Line { get; }

    /// <summary>
    /// Text from an input file, quoted for an error message: control and invisible formatting characters
    /// (bell, escape sequences, bidirectional overrides, unpaired surrogates) are shown as <c>\uXXXX</c> so a
    /// terminal neither obeys nor hides them, and text past <paramref name="maxLength"/> characters is cut.
    /// </summary>
    /// <example><c>Quote("1\a2")</c> is <c>'1\u00072'</c>.</example>
    public static string Quote(ReadOnlySpan<char> text, int maxLength = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        int shown = Math.Min(text.Length, maxLength);
        if (shown < text.Length && shown > 0 && char.IsHighSurrogate(text[shown - 1])) shown--; // never cut a pair in half
        var sb = new StringBuilder(shown + 2).Append('\'');
        for (int i = 0; i < shown; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]);
            }
            else if (char.IsControl(c) || char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator
                         or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                sb.Append(c);
            }
        }
        sb.Append('\'');
        if (shown < text.Length) sb.Append(CultureInfo.InvariantCulture, $"... ({text.Length} characters)");
        return sb.ToString();
    }
}
