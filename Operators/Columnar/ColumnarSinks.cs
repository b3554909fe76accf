using Apache.Arrow;
using Apache.Arrow.Ipc;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;
using Parquet;
using Parquet.Schema;
using Schema = Apache.Arrow.Schema;

namespace Dataflow.Operators.Columnar;

/// <summary>The columnar formats a sink writes.</summary>
public enum ColumnarFormat
{
    /// <summary>Apache Parquet (row groups).</summary>
    Parquet,

    /// <summary>Apache Arrow IPC file format (record batches).</summary>
    Arrow,
}

/// <summary>
/// Writes this subtask's records to its own part file as row groups (Parquet) or record batches (Arrow)
/// of up to <c>rowsPerGroup</c> records; the job merges the parts into one file on success.
/// </summary>
public sealed class ColumnarFileSink<T> : Collector<T>
{
    private readonly ColumnarLayout<T> _layout;
    private readonly ColumnBuffer[] _buffers;
    private readonly T[] _pending;
    private readonly OperatorInfo _info;
    private readonly ColumnarPartWriter _writer;
    private int _count;

    /// <summary>Creates the sink writing to <paramref name="partPath"/>.</summary>
    /// <param name="partPath">The part file (a temporary name; the job merges and renames on success).</param>
    /// <param name="format">Parquet or Arrow.</param>
    /// <param name="layout">The record's columns.</param>
    /// <param name="rowsPerGroup">Records per row group or record batch.</param>
    /// <param name="info">Operator name and subtask.</param>
    public ColumnarFileSink(string partPath, ColumnarFormat format, ColumnarLayout<T> layout, int rowsPerGroup, OperatorInfo info)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerGroup, 1);
        _layout = layout;
        _info = info;
        _buffers = layout.CreateBuffers();
        _pending = new T[rowsPerGroup];
        _writer = ColumnarPartWriter.Create(partPath, format, layout.Names, _buffers);
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, _pending.Length - _count);
            batch[..n].CopyTo(_pending.AsSpan(_count));
            _count += n;
            batch = batch[n..];
            if (_count == _pending.Length) WriteGroup();
        }
    }

    private void WriteGroup()
    {
        if (_count == 0) return;
        try
        {
            _layout.Fill(_pending, _count, _buffers);
        }
        catch (InvalidOperationException e)
        {
            _writer.Dispose();
            _info.Throw(e);
        }
        _writer.Write(_buffers, _count);
        System.Array.Clear(_pending, 0, _count); // drop references the sink no longer needs
        _count = 0;
    }

    /// <inheritdoc />
    public override void Close()
    {
        WriteGroup();
        _writer.Dispose();
    }

    /// <summary>Closes the part file after a failure.</summary>
    public void Abandon()
    {
        try
        {
            _writer.Dispose();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or InvalidDataException)
        {
            // The part file is deleted next; the job's own failure is the one to report.
        }
    }
}

/// <summary>A Parquet or Arrow file written one group of column buffers at a time.</summary>
public abstract class ColumnarPartWriter : IDisposable
{
    private bool _disposed;

    /// <summary>Opens <paramref name="path"/> for writing with the columns of <paramref name="buffers"/>.</summary>
    public static ColumnarPartWriter Create(string path, ColumnarFormat format, IReadOnlyList<string> names, ColumnBuffer[] buffers) =>
        format == ColumnarFormat.Parquet ? new ParquetPartWriter(path, names, buffers) : new ArrowPartWriter(path, names, buffers);

    /// <summary>Writes the first <paramref name="rows"/> values of each buffer as one row group or record batch.</summary>
    public abstract void Write(ColumnBuffer[] buffers, int rows);

    /// <summary>Writes the footer (once) and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Finish();
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes the footer and closes the file.</summary>
    protected abstract void Finish();

    /// <summary>Merges part files (in order, each possibly missing) into <paramref name="target"/>, group by group.</summary>
    public static async Task MergeAsync<T>(ColumnarFormat format, ColumnarLayout<T> layout, IEnumerable<string> parts, string target, CancellationToken cancellationToken)
    {
        var buffers = layout.CreateBuffers();
        using var writer = Create(target, format, layout.Names, buffers);
        foreach (var part in parts)
        {
            if (!File.Exists(part)) continue;
            cancellationToken.ThrowIfCancellationRequested();
            await using var stream = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            if (format == ColumnarFormat.Parquet)
            {
                await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                var fields = ColumnMatch.Parquet(reader.Schema, layout.Names, buffers, part);
                for (int g = 0; g < reader.RowGroupCount; g++)
                {
                    using var rowGroup = reader.OpenRowGroupReader(g);
                    int rows = checked((int)rowGroup.RowCount);
                    for (int k = 0; k < buffers.Length; k++) await buffers[k].ReadParquetAsync(rowGroup, fields[k], rows, part).ConfigureAwait(false);
                    writer.Write(buffers, rows);
                }
            }
            else
            {
                using var reader = new ArrowFileReader(stream);
                int batches = await reader.RecordBatchCountAsync().ConfigureAwait(false);
                var columns = ColumnMatch.Arrow(reader.Schema, layout.Names, buffers, part);
                for (int b = 0; b < batches; b++)
                {
                    using var batch = await reader.ReadRecordBatchAsync(b, cancellationToken).ConfigureAwait(false);
                    for (int k = 0; k < buffers.Length; k++) buffers[k].ReadArrow(batch.Column(columns[k]), batch.Length, part, layout.Names[k]);
                    writer.Write(buffers, batch.Length);
                }
            }
        }
    }
}

internal sealed class ParquetPartWriter : ColumnarPartWriter
{
    private readonly FileStream _stream;
    private readonly ParquetWriter _writer;
    private readonly DataField[] _fields;

    public ParquetPartWriter(string path, IReadOnlyList<string> names, ColumnBuffer[] buffers)
    {
        _fields = names.Select((n, k) => buffers[k].ParquetField(n)).ToArray();
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        try
        {
            _writer = ParquetWriter.CreateAsync(new ParquetSchema(_fields), _stream).GetAwaiter().GetResult();
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
    }

    public override void Write(ColumnBuffer[] buffers, int rows) => WriteAsync(buffers, rows).GetAwaiter().GetResult();

    private async Task WriteAsync(ColumnBuffer[] buffers, int rows)
    {
        using var rowGroup = _writer.CreateRowGroup();
        for (int k = 0; k < buffers.Length; k++) await buffers[k].WriteParquetAsync(rowGroup, _fields[k], rows).ConfigureAwait(false);
        rowGroup.CompleteValidate();
    }

    protected override void Finish()
    {
        try
        {
            _writer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            _stream.Dispose();
        }
    }
}

internal sealed class ArrowPartWriter : ColumnarPartWriter
{
    private readonly FileStream _stream;
    private readonly ArrowFileWriter _writer;
    private readonly Schema _schema;

    public ArrowPartWriter(string path, IReadOnlyList<string> names, ColumnBuffer[] buffers)
    {
        _schema = new Schema(names.Select((n, k) => buffers[k].ArrowField(n)), null);
        _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _writer = new ArrowFileWriter(_stream, _schema, leaveOpen: true);
        try
        {
            _writer.WriteStart(); // a file without batches still has its schema
        }
        catch
        {
            _writer.Dispose();
            _stream.Dispose();
            throw;
        }
    }

    public override void Write(ColumnBuffer[] buffers, int rows)
    {
        var arrays = new IArrowArray[buffers.Length];
        for (int k = 0; k < buffers.Length; k++) arrays[k] = buffers[k].BuildArrow(rows);
        using var batch = new RecordBatch(_schema, arrays, rows);
        _writer.WriteRecordBatch(batch);
    }

    protected override void Finish()
    {
        try
        {
            _writer.WriteEnd();
        }
        finally
        {
            _writer.Dispose();
            _stream.Dispose();
        }
    }
}
