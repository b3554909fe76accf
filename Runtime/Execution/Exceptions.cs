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
}
