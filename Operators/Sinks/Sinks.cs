using System.Globalization;
using System.Text;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Sinks;

/// <summary>Appends records to a list owned by the job client (<c>CollectAsync</c>).</summary>
public sealed class CollectSink<T>(List<T> target) : Collector<T>
{
    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch) => target.AddRange(batch);

    /// <inheritdoc />
    public override void Close()
    {
    }
}

/// <summary>Counts records into a slot owned by the job client (<c>CountAsync</c>).</summary>
public sealed class CountSink<T>(long[] counts, int slot) : Collector<T>
{
    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch) => counts[slot] += batch.Length;

    /// <inheritdoc />
    public override void Close()
    {
    }
}

/// <summary>Writes one formatted line per record to this subtask's part file.</summary>
public sealed class TextFileSink<T> : Collector<T>
{
    private readonly Action<T, TextWriter> _write;
    private readonly StreamWriter _writer;
    private readonly OperatorInfo _info;

    /// <summary>Creates the sink writing to <paramref name="partPath"/>.</summary>
    /// <param name="partPath">The part file (a temporary name; the job renames on success).</param>
    /// <param name="write">Writes one record (without the newline).</param>
    /// <param name="info">Operator name and subtask.</param>
    public TextFileSink(string partPath, Action<T, TextWriter> write, OperatorInfo info)
    {
        _write = write;
        _info = info;
        _writer = new StreamWriter(partPath, false, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        try
        {
            foreach (ref readonly var x in batch)
            {
                _write(x, _writer);
                _writer.Write('\n');
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e) && e is not IOException)
        {
            _writer.Dispose();
            _info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close() => _writer.Dispose();

    /// <summary>Disposes the writer after a failure.</summary>
    public void Abandon() => _writer.Dispose();
}

