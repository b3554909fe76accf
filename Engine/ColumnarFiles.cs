using Dataflow.Operators.Columnar;
using Dataflow.Plan;

namespace Dataflow;

/// <summary>
/// Parquet and Arrow IPC sources: <c>env.ReadParquet&lt;T&gt;(path)</c>, <c>env.ReadArrow&lt;T&gt;(path)</c>
/// and <c>env.ReadParquetVectors(path)</c>. Each subtask reads a contiguous share of the file's row
/// groups (Parquet) or record batches (Arrow), so a file of one group is read by one subtask.
/// </summary>
/// <remarks>
/// Columns map to the public members of the record type (see <see cref="ColumnarLayout{T}"/>):
/// the member's name (exact, else ignoring case), or the name given in <c>columns</c> for the member
/// at that position; value tuples are <c>Item1</c>, <c>Item2</c>, ... unless <c>columns</c> names them.
/// Member types: <c>int</c>, <c>long</c>, <c>float</c>, <c>double</c>, <c>bool</c>, <c>DateTime</c>,
/// <c>decimal</c>, their nullable forms, <c>string</c> and <c>byte[]</c>.
/// </remarks>
public static class ColumnarFiles
{
    /// <summary>
    /// The rows of a Parquet file as records of <typeparamref name="T"/>, read in parallel by row group.
    /// A missing column or a column of another type fails the job with a message naming the file, the
    /// column and both types (or the file's columns).
    /// </summary>
    /// <param name="env">The environment.</param>
    /// <param name="path">The Parquet file.</param>
    /// <param name="columns">Column names for the members in declaration order (null: the member names).</param>
    /// <example><code>var edges = env.ReadParquet&lt;(long Src, long Dst)&gt;("edges.parquet", ["src", "dst"]);</code></example>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has a member of an unsupported type.</exception>
    public static DataSet<T> ReadParquet<T>(this DataflowEnvironment env, string path, IReadOnlyList<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var layout = new ColumnarLayout<T>(columns); // compiled here, once per job, so a bad type fails before the job runs
        var name = $"ReadParquet({Path.GetFileName(path)})";
        return new(new SourceOperatorNode<T>(env, name, env.Parallelism,
            (ctx, down) => new ParquetSource<T>(path, layout, ctx, down, name), path));
    }

    /// <summary>The rows of an Arrow IPC file (the random-access file format) as records, read in parallel by record batch. Same mapping and messages as <see cref="ReadParquet{T}"/>.</summary>
    /// <param name="env">The environment.</param>
    /// <param name="path">The Arrow IPC file.</param>
    /// <param name="columns">Column names for the members in declaration order (null: the member names).</param>
    public static DataSet<T> ReadArrow<T>(this DataflowEnvironment env, string path, IReadOnlyList<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var layout = new ColumnarLayout<T>(columns);
        var name = $"ReadArrow({Path.GetFileName(path)})";
        return new(new SourceOperatorNode<T>(env, name, env.Parallelism,
            (ctx, down) => new ArrowSource<T>(path, layout, ctx, down, name), path));
    }

    /// <summary>
    /// The rows of a Parquet file as vectors of every column in file order, converted to <c>double</c>
    /// (for points of any dimension). Every column is int, long, float or double without nulls.
    /// </summary>
    /// <param name="env">The environment.</param>
    /// <param name="path">The Parquet file.</param>
    public static DataSet<double[]> ReadParquetVectors(this DataflowEnvironment env, string path)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(path);
        var name = $"ReadParquetVectors({Path.GetFileName(path)})";
        return new(new SourceOperatorNode<double[]>(env, name, env.Parallelism,
            (ctx, down) => new ParquetVectorSource(path, ctx, down, name), path));
    }

    /// <summary>The number of columns of a Parquet file, all numeric (the dimension of <see cref="ReadParquetVectors"/>'s vectors), and its row count.</summary>
    /// <exception cref="InvalidDataException">A column that is not a number, or no columns.</exception>
    public static async Task<(int Columns, long Rows)> ParquetVectorShapeAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        await using var reader = await Parquet.ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var (fields, _) = ParquetVectorSource.Columns(reader.Schema, path);
        long rows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            rows += rowGroup.RowCount;
        }
        return (fields.Length, rows);
    }
}
