using System.Runtime.CompilerServices;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Dataflow.Operators.Sources;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;
using Parquet;
using Parquet.Schema;
using Schema = Apache.Arrow.Schema;

namespace Dataflow.Operators.Columnar;

/// <summary>Matching a file's columns to a layout's, with the messages of a mismatch.</summary>
public static class ColumnMatch
{
    /// <summary>The subtask's contiguous share of <paramref name="units"/> row groups or record batches.</summary>
    public static (int Start, int End) ShareOf(int units, int subtask, int parallelism) =>
        ((int)((long)units * subtask / parallelism), (int)((long)units * (subtask + 1) / parallelism));

    /// <summary>The index of the file column for <paramref name="name"/>: exact name first, then ignoring case when that is unambiguous.</summary>
    /// <exception cref="InvalidDataException">No such column; the message lists the file's columns.</exception>
    public static int Find(IReadOnlyList<string> fileColumns, string name, string path)
    {
        for (int i = 0; i < fileColumns.Count; i++) if (fileColumns[i] == name) return i;
        int found = -1;
        for (int i = 0; i < fileColumns.Count; i++)
        {
            if (!string.Equals(fileColumns[i], name, StringComparison.OrdinalIgnoreCase)) continue;
            if (found >= 0) { found = -2; break; }
            found = i;
        }
        if (found >= 0) return found;
        throw new InvalidDataException($"{path}: no column '{name}'; the file's columns are: {string.Join(", ", fileColumns)}");
    }

    /// <summary>The message of a column whose type differs from the member's.</summary>
    public static InvalidDataException Mismatch(string path, string column, string expected, string found) =>
        new($"{path}: column '{column}' has type {found}, expected {expected}");

    /// <summary>The Parquet fields for the layout's columns, checked against the buffers' types.</summary>
    public static DataField[] Parquet(ParquetSchema schema, IReadOnlyList<string> names, ColumnBuffer[] buffers, string path)
    {
        var fields = schema.Fields;
        var fileNames = fields.Select(f => f.Name).ToList();
        var result = new DataField[names.Count];
        for (int k = 0; k < names.Count; k++)
        {
            var f = fields[Find(fileNames, names[k], path)];
            if (f is not DataField d || d.IsArray) throw Mismatch(path, f.Name, buffers[k].ValueType.Name, $"{f.SchemaType} (nested)");
            if (!buffers[k].Accepts(d)) throw Mismatch(path, f.Name, buffers[k].ValueType.Name, ColumnBuffer.ClrTypeOf(d).Name);
            result[k] = d;
        }
        return result;
    }

    /// <summary>The Arrow column indices for the layout's columns, checked against the buffers' types.</summary>
    public static int[] Arrow(Schema schema, IReadOnlyList<string> names, ColumnBuffer[] buffers, string path)
    {
        var fileNames = schema.FieldsList.Select(f => f.Name).ToList();
        var result = new int[names.Count];
        for (int k = 0; k < names.Count; k++)
        {
            int i = Find(fileNames, names[k], path);
            var f = schema.FieldsList[i];
            if (!buffers[k].Accepts(f.DataType)) throw Mismatch(path, f.Name, $"{buffers[k].ArrowTypeName} ({buffers[k].ValueType.Name})", f.DataType.Name);
            result[k] = i;
        }
        return result;
    }
}

/// <summary>Reads this subtask's share of the row groups of a Parquet file into records.</summary>
public sealed class ParquetSource<T>(string path, ColumnarLayout<T> layout, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    protected override void Produce() => ProduceAsync().GetAwaiter().GetResult(); // the subtask owns its thread: waiting blocks nothing else

    private async Task ProduceAsync()
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        await using var reader = await ParquetReader.CreateAsync(stream).ConfigureAwait(false);
        var buffers = layout.CreateBuffers();
        var fields = ColumnMatch.Parquet(reader.Schema, layout.Names, buffers, path);
        var (start, end) = ColumnMatch.ShareOf(reader.RowGroupCount, Context.Subtask, Context.Parallelism);
        var records = System.Array.Empty<T>();
        for (int g = start; g < end; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            int rows = checked((int)rowGroup.RowCount);
            for (int k = 0; k < buffers.Length; k++) await buffers[k].ReadParquetAsync(rowGroup, fields[k], rows, path).ConfigureAwait(false);
            if (records.Length < rows) records = new T[rows];
            layout.Build(buffers, records, rows);
            Emit(records, rows);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Emit(T[] records, int rows)
    {
        for (int i = 0; i < rows; i += Context.BatchSize) EmitBatch(records.AsSpan(i, Math.Min(Context.BatchSize, rows - i)));
    }
}

/// <summary>Reads this subtask's share of the record batches of an Arrow IPC file into records.</summary>
public sealed class ArrowSource<T>(string path, ColumnarLayout<T> layout, SubtaskContext context, Collector<T> output, string name)
    : SourceOperator<T>(context, output, name)
{
    /// <inheritdoc />
    protected override void Produce() => ProduceAsync().GetAwaiter().GetResult(); // the subtask owns its thread: waiting blocks nothing else

    private async Task ProduceAsync()
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new ArrowFileReader(stream);
        int batches = await reader.RecordBatchCountAsync().ConfigureAwait(false);
        var schema = reader.Schema;
        var buffers = layout.CreateBuffers();
        var columns = ColumnMatch.Arrow(schema, layout.Names, buffers, path);
        var (start, end) = ColumnMatch.ShareOf(batches, Context.Subtask, Context.Parallelism);
        var records = System.Array.Empty<T>();
        for (int b = start; b < end; b++)
        {
            using var batch = await reader.ReadRecordBatchAsync(b).ConfigureAwait(false);
            int rows = batch.Length;
            for (int k = 0; k < buffers.Length; k++) buffers[k].ReadArrow(batch.Column(columns[k]), rows, path, layout.Names[k]);
            if (records.Length < rows) records = new T[rows];
            layout.Build(buffers, records, rows);
            for (int i = 0; i < rows; i += Context.BatchSize) EmitBatch(records.AsSpan(i, Math.Min(Context.BatchSize, rows - i)));
        }
    }
}

/// <summary>Reads this subtask's share of the row groups of a Parquet file as vectors of all its (numeric) columns in file order.</summary>
public sealed class ParquetVectorSource(string path, SubtaskContext context, Collector<double[]> output, string name)
    : SourceOperator<double[]>(context, output, name)
{
    /// <summary>The file's columns with the buffers that read them.</summary>
    /// <exception cref="InvalidDataException">A column that is not int, long, float or double, or no columns.</exception>
    public static (DataField[] Fields, ColumnBuffer[] Buffers) Columns(ParquetSchema schema, string path)
    {
        var fields = schema.Fields.ToArray();
        if (fields.Length == 0) throw new InvalidDataException($"{path}: the file has no columns");
        var buffers = new ColumnBuffer[fields.Length];
        var data = new DataField[fields.Length];
        for (int k = 0; k < fields.Length; k++)
        {
            var t = fields[k] is DataField df ? ColumnBuffer.ClrTypeOf(df) : null;
            if (fields[k] is not DataField { IsArray: false } d || (t != typeof(int) && t != typeof(long) && t != typeof(float) && t != typeof(double)))
            {
                throw ColumnMatch.Mismatch(path, fields[k].Name, "a number (int, long, float or double)", t?.Name ?? $"{fields[k].SchemaType} (nested)");
            }
            data[k] = d;
            buffers[k] = ColumnBuffer.For(t)!;
        }
        return (data, buffers);
    }

    /// <inheritdoc />
    protected override void Produce() => ProduceAsync().GetAwaiter().GetResult();

    private async Task ProduceAsync()
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        await using var reader = await ParquetReader.CreateAsync(stream).ConfigureAwait(false);
        var (fields, buffers) = Columns(reader.Schema, path);
        var (start, end) = ColumnMatch.ShareOf(reader.RowGroupCount, Context.Subtask, Context.Parallelism);
        for (int g = start; g < end; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            int rows = checked((int)rowGroup.RowCount);
            var vectors = new double[rows][];
            for (int i = 0; i < rows; i++) vectors[i] = new double[fields.Length];
            for (int k = 0; k < buffers.Length; k++)
            {
                await buffers[k].ReadParquetAsync(rowGroup, fields[k], rows, path).ConfigureAwait(false);
                buffers[k].CopyToDoubles(vectors, k, rows, path, fields[k].Name);
            }
            for (int i = 0; i < rows; i += Context.BatchSize) EmitBatch(vectors.AsSpan(i, Math.Min(Context.BatchSize, rows - i)));
        }
    }
}
