using System.Runtime.CompilerServices;
using System.Text;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Sources;

/// <summary>Base of source subtasks: produce records into the chain, checking for an abort once per batch.</summary>
public abstract class SourceOperator<T> : SubtaskBody
{
    private readonly T[] _buffer;
    private int _count;

    /// <summary>Creates the source subtask.</summary>
    protected SourceOperator(SubtaskContext context, Collector<T> output, string name)
    {
        Context = context;
        Output = output;
        Info = new OperatorInfo(name, context.Subtask, context.BatchSize);
        _buffer = new T[context.BatchSize];
    }

    /// <summary>The subtask's context.</summary>
    protected SubtaskContext Context { get; }

    /// <summary>The chain this source feeds.</summary>
    protected Collector<T> Output { get; }

    /// <summary>Name and subtask.</summary>
    protected OperatorInfo Info { get; }

    /// <inheritdoc />
    public sealed override bool IsSource => true;

    /// <inheritdoc />
    public sealed override void Run()
    {
        Produce();
        Flush();
    }

    /// <summary>Produces this subtask's records through <see cref="Emit"/> or <see cref="EmitBatch"/>.</summary>
    protected abstract void Produce();

    /// <summary>Emits one record.</summary>
    protected void Emit(T item)
    {
        _buffer[_count++] = item;
        if (_count == _buffer.Length) Flush();
    }

    /// <summary>Emits a batch of records.</summary>
    protected void EmitBatch(ReadOnlySpan<T> items)
    {
        Flush();
        Context.Abort.ThrowIfAborted();
        Context.Metrics.RecordsIn += items.Length;
        Output.Push(items);
    }

    private void Flush()
    {
        if (_count == 0) return;
        Context.Abort.ThrowIfAborted();
        int n = _count;
        _count = 0;
        Context.Metrics.RecordsIn += n;
        Output.Push(new ReadOnlySpan<T>(_buffer, 0, n));
    }

    /// <inheritdoc />
    public sealed override void OnBatch(int input, Array items, int count) => throw new InvalidOperationException("A source has no inputs.");

    /// <inheritdoc />
    public sealed override void OnInputEnd(int input) => throw new InvalidOperationException("A source has no inputs.");

    /// <inheritdoc />
    public sealed override void Close() => Output.Close();
}

/// <summary>Reads this subtask's contiguous slice of an in-memory list.</summary>
public sealed class CollectionSource<T>(IReadOnlyList<T> items, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        int p = Context.Parallelism, s = Context.Subtask;
        int start = (int)((long)items.Count * s / p), end = (int)((long)items.Count * (s + 1) / p);
        if (items is T[] array)
        {
            for (int i = start; i < end; i += Context.BatchSize)
            {
                EmitBatch(array.AsSpan(i, Math.Min(Context.BatchSize, end - i)));
            }
            return;
        }
        for (int i = start; i < end; i++) Emit(items[i]);
    }
}

/// <summary>Emits a partition held in memory for this very subtask (iteration state, cached loop-invariant input).</summary>
/// <remarks>With <paramref name="release"/> the list is emptied (its memory freed) once emitted: data read exactly once.</remarks>
public sealed class PartitionSource<T>(List<T> partition, SubtaskContext context, Collector<T> output, string name, bool release = false)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(partition);
        for (int i = 0; i < span.Length; i += Context.BatchSize)
        {
            EmitBatch(span.Slice(i, Math.Min(Context.BatchSize, span.Length - i)));
        }
        if (release)
        {
            partition.Clear();
            partition.Capacity = 0;
        }
    }
}

/// <summary>Generates records <c>f(i)</c> for this subtask's range of <c>0 ≤ i &lt; count</c>.</summary>
public sealed class GenerateSource<T>(long count, Func<long, T> generate, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        int p = Context.Parallelism, s = Context.Subtask;
        long start = (long)((Int128)count * s / p), end = (long)((Int128)count * (s + 1) / p);
        for (long i = start; i < end; i++)
        {
            T item;
            try
            {
                item = generate(i);
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                Info.Throw(e);
                throw;
            }
            Emit(item);
        }
    }
}

/// <summary>Reads an arbitrary sequence; not splittable, so it runs as one subtask.</summary>
public sealed class EnumerableSource<T>(IEnumerable<T> items, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        using var e = items.GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = e.MoveNext();
            }
            catch (Exception ex) when (OperatorInfo.IsUserFault(ex))
            {
                Info.Throw(ex);
                throw;
            }
            if (!more) break;
            Emit(e.Current);
        }
    }
}

/// <summary>Reads the lines of this subtask's byte range of a UTF-8 text file.</summary>
public sealed class TextLineSource(string path, SubtaskContext context, Collector<string> output, string name)
    : SourceOperator<string>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        long length = new FileInfo(path).Length;
        var (start, end) = LineReader.SplitOf(length, Context.Subtask, Context.Parallelism);
        using var reader = new LineReader(path, start, end);
        while (reader.TryReadLine(out var line, out _)) Emit(Encoding.UTF8.GetString(line));
    }
}

/// <summary>Parses this subtask's byte range of a delimited text file; a bad line fails the job as <c>path:line: ...</c>.</summary>
public sealed class CsvSource<T>(string path, CsvParser<T> parse, CsvFormat format, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void Produce()
    {
        long length = new FileInfo(path).Length;
        var (start, end) = LineReader.SplitOf(length, Context.Subtask, Context.Parallelism);
        using var reader = new LineReader(path, start, end);
        var chars = new char[4096];
        var bounds = new int[64];
        bool first = start == 0;
        while (reader.TryReadLine(out var bytes, out long offset))
        {
            if (first && format.HasHeader)
            {
                first = false;
                continue;
            }
            first = false;
            if (chars.Length < bytes.Length) chars = new char[bytes.Length * 2];
            int n = Encoding.UTF8.GetChars(bytes, chars);
            var line = new ReadOnlySpan<char>(chars, 0, n);
            var trimmed = line.TrimStart();
            if (trimmed.IsEmpty || (format.CommentPrefix is char c && trimmed[0] == c)) continue;
            T item;
            try
            {
                int fields = CsvRow.Split(line, format, ref bounds);
                item = parse(new CsvRow(line, new ReadOnlySpan<int>(bounds, 0, fields)));
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                throw new InputFormatException(path, LineReader.LineNumberAt(path, offset), e.Message, e);
            }
            Emit(item);
        }
    }
}
