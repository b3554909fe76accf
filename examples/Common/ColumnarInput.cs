namespace Dataflow.Examples;

/// <summary>
/// The examples' Parquet inputs and outputs, chosen by the file extension <c>.parquet</c>: graph edges as
/// int64 columns <c>src</c> and <c>dst</c>, k-means points as all numeric columns in file order.
/// </summary>
internal static class ColumnarInput
{
    /// <summary>True for a path ending in <c>.parquet</c> (any case).</summary>
    public static bool IsParquet(string path) => path.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase);

    /// <summary>The edges of a Parquet file with int64 columns <c>src</c> and <c>dst</c>; a negative id fails the job.</summary>
    public static DataSet<(long Src, long Dst)> ReadEdges(DataflowEnvironment env, string path) =>
        env.ReadParquet<(long Src, long Dst)>(path, ["src", "dst"]).Select(e =>
            // As in the text reader: no generator or reference graph has negative ids.
            e.Src < 0 || e.Dst < 0 ? throw new InvalidDataException($"{path}: expected non-negative vertex ids, found edge {e.Src} -> {e.Dst}") : e);

    /// <summary>The number of rows of a Parquet file; none is an error naming it as the <paramref name="role"/> file.</summary>
    /// <exception cref="InvalidDataException">The file has no rows.</exception>
    public static async Task RequireRowsAsync(string path, string role, CancellationToken ct)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        await using var reader = await Parquet.ParquetReader.CreateAsync(stream, cancellationToken: ct);
        long rows = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var rowGroup = reader.OpenRowGroupReader(g);
            rows += rowGroup.RowCount;
        }
        if (rows == 0) throw new InvalidDataException($"{role} file {path} has no rows");
    }

    /// <summary>The points of a Parquet file: every column (int, long, float or double) in file order; a value that is not finite fails the job.</summary>
    public static DataSet<double[]> ReadPoints(DataflowEnvironment env, string path) =>
        env.ReadParquetVectors(path).Select(p =>
        {
            // NaN would never be nearest to any centroid and the point would vanish from the result.
            foreach (var x in p) if (!double.IsFinite(x)) throw new InvalidDataException($"{path}: expected finite coordinates, found {x}");
            return p;
        });
}
