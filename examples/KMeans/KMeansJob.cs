using System.Globalization;
using Dataflow.Operators.Join;

namespace Dataflow.Examples.KMeans;

/// <summary>A cluster centre.</summary>
public sealed record Centroid(int Id, double[] Coordinates);

/// <summary>k-means (Lloyd's algorithm) as a bulk iteration with the centroids as a broadcast set.</summary>
public static class KMeansJob
{
    /// <summary>Reads one point per CSV line; every row must have as many fields as the first.</summary>
    /// <exception cref="InvalidDataException">The file has no rows.</exception>
    /// <exception cref="InputFormatException">The first row is out of bounds (later rows fail the job the same way).</exception>
    public static DataSet<double[]> ReadPoints(DataflowEnvironment env, string path) =>
        ReadPoints(env, path, Dimensions(path));

    /// <summary>Reads one point of <paramref name="dimensions"/> finite coordinates per CSV line; any other row fails the job with <c>path:line</c>.</summary>
    public static DataSet<double[]> ReadPoints(DataflowEnvironment env, string path, int dimensions) =>
        env.ReadCsv(path, row => ParsePoint(row, dimensions));

    /// <summary>The number of comma-separated fields in the first row of <paramref name="path"/>: the points' dimension.</summary>
    /// <exception cref="InvalidDataException">The file has no rows.</exception>
    /// <exception cref="InputFormatException">The first row is longer than 1 MiB or has more than 10 000 fields.</exception>
    public static int Dimensions(string path)
    {
        var (number, text) = InputFiles.RequireRows(path, "points");
        int fields = text.AsSpan().Count(',') + 1;
        if (fields > InputFiles.MaxFields) throw new InputFormatException(path, number, $"{fields} fields; at most {InputFiles.MaxFields} are accepted");
        return fields;
    }

    /// <summary>One point: exactly <paramref name="dimensions"/> fields, each a finite number.</summary>
    /// <exception cref="FormatException">Any other row (the source reports it as <c>path:line</c>).</exception>
    public static double[] ParsePoint(CsvRow row, int dimensions)
    {
        InputFiles.CheckBounds(row);
        if (row.Count != dimensions) throw new FormatException($"expected {dimensions} fields like the first row, found {row.Count}");
        var p = new double[dimensions];
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = row.GetDouble(i);
            // NaN would never be nearest to any centroid and the point would vanish from the result.
            if (!double.IsFinite(p[i])) throw new FormatException($"field {i + 1}: expected a finite number, found {InputFormatException.Quote(row[i])}");
        }
        return p;
    }

    /// <summary>Reads the initial centroids: line i is cluster i.</summary>
    /// <exception cref="InvalidDataException">The file has no rows.</exception>
    /// <exception cref="InputFormatException">A row is not as many finite numbers as the first row has fields.</exception>
    public static List<Centroid> ReadCentroids(string path) => ReadCentroids(path, skipInvalid: false, out _);

    /// <summary>
    /// Reads the initial centroids: the i-th valid line is cluster i. With <paramref name="skipInvalid"/>, a row that
    /// is not as many finite numbers as the first row has fields is skipped and counted instead of failing.
    /// </summary>
    /// <exception cref="InvalidDataException">The file has no (valid) rows.</exception>
    /// <exception cref="InputFormatException">An invalid row without <paramref name="skipInvalid"/>; a line longer than 1 MiB, or a first row of more than 10 000 fields, always.</exception>
    public static List<Centroid> ReadCentroids(string path, bool skipInvalid, out int skipped)
    {
        var result = new List<Centroid>();
        skipped = 0;
        int dimensions = 0;
        long firstLine = 0;
        foreach (var (number, line) in InputFiles.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            if (dimensions == 0)
            {
                // The first row fixes the dimension even when its values are invalid.
                if (fields.Length > InputFiles.MaxFields) throw new InputFormatException(path, number, $"{fields.Length} fields; at most {InputFiles.MaxFields} are accepted");
                dimensions = fields.Length;
                firstLine = number;
            }
            try
            {
                result.Add(new Centroid(result.Count, ParseCentroid(fields, dimensions, firstLine)));
            }
            catch (FormatException e)
            {
                if (!skipInvalid) throw new InputFormatException(path, number, e.Message, e);
                skipped++;
            }
        }
        if (dimensions == 0) throw new InvalidDataException($"centroids file {path} has no rows");
        if (result.Count == 0) throw new InvalidDataException($"centroids file {path} has no valid rows ({skipped} skipped)");
        return result;
    }

    private static double[] ParseCentroid(string[] fields, int dimensions, long firstLine)
    {
        if (fields.Length != dimensions) throw new FormatException($"expected {dimensions} fields like the first row (line {firstLine}), found {fields.Length}");
        var c = new double[fields.Length];
        for (int i = 0; i < c.Length; i++)
        {
            if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out c[i]) || !double.IsFinite(c[i]))
            {
                throw new FormatException($"field {i + 1}: expected a finite number, found {InputFormatException.Quote(fields[i])}");
            }
        }
        return c;
    }

    /// <summary>The index of the nearest centroid; ties go to the lower id.</summary>
    public static int Nearest(double[] point, ReadOnlySpan<Centroid> centroids)
    {
        int best = -1;
        double bestDistance = double.PositiveInfinity;
        foreach (var c in centroids)
        {
            var coords = c.Coordinates;
            double d = 0;
            for (int i = 0; i < coords.Length; i++)
            {
                double diff = point[i] - coords[i];
                d += diff * diff;
            }
            if (d < bestDistance || (d == bestDistance && c.Id < best))
            {
                bestDistance = d;
                best = c.Id;
            }
        }
        return best;
    }

    /// <summary>The centroids after at most <paramref name="iterations"/> Lloyd steps.</summary>
    public static DataSet<Centroid> Build(DataSet<double[]> points, DataSet<Centroid> initial, int iterations) =>
        initial.IterateBulk(iterations, (centroids, ctx) =>
        {
            var moved = ctx.Sum("movement");
            // The points are loop-invariant: read and parsed once, replayed from memory afterwards.
            var updated = points
                .WithBroadcast(centroids)
                .Select((p, cs) => (Cluster: Nearest(p, cs.Span), Point: p))
                .GroupBy(a => a.Cluster)
                .Aggregate(
                    a => (Sum: (double[])a.Point.Clone(), Count: 1L),
                    (acc, a) => (Add(acc.Sum, a.Point), acc.Count + 1),
                    (x, y) => (Add(x.Sum, y.Sum), x.Count + y.Count),
                    (cluster, acc) => new Centroid(cluster, acc.Sum.Select(s => s / acc.Count).ToArray()));
            // A cluster that lost all its points keeps its centroid.
            return centroids.LeftOuterJoin(updated, c => c.Id, u => u.Id, (c, u) =>
            {
                if (u is null) return c;
                double m = 0;
                for (int i = 0; i < c.Coordinates.Length; i++) m += Math.Abs(c.Coordinates[i] - u.Coordinates[i]);
                moved.Add(m);
                return u;
            });
        }, "kmeans");

    private static double[] Add(double[] target, double[] values)
    {
        for (int i = 0; i < target.Length; i++) target[i] += values[i];
        return target;
    }
}
