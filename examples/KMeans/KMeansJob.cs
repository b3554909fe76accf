using System.Globalization;
using Dataflow.Operators.Join;

namespace Dataflow.Examples.KMeans;

/// <summary>A cluster centre.</summary>
public sealed record Centroid(int Id, double[] Coordinates);

/// <summary>k-means (Lloyd's algorithm) as a bulk iteration with the centroids as a broadcast set.</summary>
public static class KMeansJob
{
    /// <summary>Reads one point per CSV line.</summary>
    public static DataSet<double[]> ReadPoints(DataflowEnvironment env, string path) =>
        env.ReadCsv(path, row =>
        {
            var p = new double[row.Count];
            for (int i = 0; i < p.Length; i++) p[i] = row.GetDouble(i);
            return p;
        });

    /// <summary>Reads the initial centroids: line i is cluster i.</summary>
    public static List<Centroid> ReadCentroids(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file not found: {path}", path);
        var result = new List<Centroid>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.Split(',');
            var c = new double[fields.Length];
            for (int i = 0; i < c.Length; i++)
            {
                if (!double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out c[i]))
                {
                    throw new Dataflow.InputFormatException(path, lineNo, $"field {i + 1}: expected a number, found '{fields[i]}'");
                }
            }
            result.Add(new Centroid(result.Count, c));
        }
        return result;
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
