using System.Collections.Concurrent;
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

    private async Task WriteColumnarAsync(string path, ColumnarFormat format, IReadOnlyList<string>? columns, int rowsPerGroup, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerGroup, 1);
        var layout = new ColumnarLayout<T>(columns);
        string sinkName = $"Write{format}({Path.GetFileName(path)})";
        if (Environment.IsWorkerCopy)
        {
            // A cluster worker's copy of the program: the submitter writes the file; the same plan runs here.
            await Environment.RunAsync([Sink(sinkName, (_, _) => throw new InvalidOperationException("Result sinks run in the submitting process."))],
                cancellationToken).ConfigureAwait(false);
            return;
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Output directory not found: {dir}");
        string stem = $"{full}.{Guid.NewGuid():N}";
        var parts = Enumerable.Range(0, Node.Parallelism).Select(i => $"{stem}.part{i}").ToArray();
        var sinks = new ConcurrentBag<ColumnarFileSink<T>>();
        string tmp = stem + ".tmp";
        try
        {
            await Environment.RunAsync([Sink(sinkName, (_, info) =>
            {
                var sink = new ColumnarFileSink<T>(parts[info.Subtask], format, layout, rowsPerGroup, info);
                sinks.Add(sink);
                return sink;
            })], cancellationToken).ConfigureAwait(false);
            // Parts hold whole row groups; merging re-encodes them into one file rather than concatenating bytes.
            await ColumnarPartWriter.MergeAsync(format, layout, parts, tmp, cancellationToken).ConfigureAwait(false);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            foreach (var s in sinks) s.Abandon();
            foreach (var part in parts) File.Delete(part);
            File.Delete(tmp);
        }
    }
}
