using Dataflow.Operators.Columnar;

namespace Dataflow;

public sealed partial class DataSet<T>
{
    /// <summary>Records per row group or record batch a columnar sink writes by default.</summary>
    public const int DefaultRowsPerGroup = 64 * 1024;

    /// <summary>
    /// Runs the job and writes the records to a Parquet file, one column per member (see
    /// <see cref="ColumnarFiles"/> for the mapping and types). Subtasks write part files in row groups of
    /// <paramref name="rowsPerGroup"/> records; only a successful job merges them (in subtask order) into
    /// a temporary file renamed to <paramref name="path"/>, so a failed or cancelled job leaves no output file.
    /// </summary>
    /// <param name="path">The output file (replaced if it exists).</param>
    /// <param name="columns">Column names for the members in declaration order (null: the member names; value tuples: Item1, Item2, ...).</param>
    /// <param name="rowsPerGroup">Records per row group: the unit a parallel read splits the file by.</param>
    /// <param name="cancellationToken">Stops the job.</param>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has a member of an unsupported type.</exception>
    public Task WriteParquetAsync(string path, IReadOnlyList<string>? columns = null, int rowsPerGroup = DefaultRowsPerGroup, CancellationToken cancellationToken = default) =>
        WriteColumnarAsync(path, ColumnarFormat.Parquet, columns, rowsPerGroup, cancellationToken);

    /// <summary>Runs the job and writes the records to an Arrow IPC file (the random-access file format) in record batches of <paramref name="rowsPerGroup"/>. Same mapping and commit rules as <see cref="WriteParquetAsync"/>.</summary>
    /// <param name="path">The output file (replaced if it exists).</param>
    /// <param name="columns">Column names for the members in declaration order (null: the member names).</param>
    /// <param name="rowsPerGroup">Records per record batch.</param>
    /// <param name="cancellationToken">Stops the job.</param>
    public Task WriteArrowAsync(string path, IReadOnlyList<string>? columns = null, int rowsPerGroup = DefaultRowsPerGroup, CancellationToken cancellationToken = default) =>
        WriteColumnarAsync(path, ColumnarFormat.Arrow, columns, rowsPerGroup, cancellationToken);

    private Task WriteColumnarAsync(string path, ColumnarFormat format, IReadOnlyList<string>? columns, int rowsPerGroup, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerGroup, 1);
        var layout = new ColumnarLayout<T>(columns);
        return WritePartsAsync(path, $"Write{format}({Path.GetFileName(path)})",
            (part, info) => new ColumnarFileSink<T>(part, format, layout, rowsPerGroup, info),
            sink => sink.Abandon(),
            // Parts hold whole row groups; merging re-encodes them into one file rather than concatenating bytes.
            (parts, tmp) => ColumnarPartWriter.MergeAsync(format, layout, parts, tmp, cancellationToken),
            cancellationToken);
    }
}
