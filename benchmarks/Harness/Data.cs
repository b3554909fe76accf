using System.Globalization;
using Dataflow.Examples;
using Dataflow.Examples.WordCount;

namespace Dataflow.Benchmarks.Harness;

/// <summary>Generates (once, seeded) and locates the benchmark inputs.</summary>
internal static class Data
{
    public static string Dir(Options o) => o.Data;

    public static int Scale(Options o) => o.Scale;

    public static string Edges(Options o) => Path.Combine(Dir(o), $"rmat-{Scale(o)}-16.edges");

    public static int PointCount(Options o) => o.Points;

    public static string Points(Options o) => Path.Combine(Dir(o), $"points-{PointCount(o)}x8.csv");

    public static string Centroids(Options o) => Path.Combine(Dir(o), $"points-{PointCount(o)}x8.centroids.csv");

    public static string Text(Options o) => Path.Combine(Dir(o), $"text-{o.TextMb}mb.txt");

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Dataflow.sln"))) return d.FullName;
        }
        return Directory.GetCurrentDirectory();
    }

    public static void Prepare(Options o)
    {
        Directory.CreateDirectory(Dir(o));
        if (!File.Exists(Edges(o)))
        {
            Console.Error.WriteLine($"generating R-MAT scale {Scale(o)} (edge factor 16) at {Edges(o)}");
            RmatGenerator.WriteEdges(Edges(o), Scale(o), 16, seed: 20);
        }
        if (!File.Exists(Points(o)))
        {
            Console.Error.WriteLine($"generating {PointCount(o)} points x 8 dims, 16 overlapping blobs at {Points(o)}");
            WritePoints(Points(o), Centroids(o), PointCount(o), dims: 8, k: 16, seed: 8);
        }
        if (!File.Exists(Text(o)))
        {
            Console.Error.WriteLine($"generating {o.TextMb} MB of text at {Text(o)}");
            TextGenerator.Write(Text(o), o.TextMb * 1_000_000L, seed: 200);
        }
    }

    /// <summary>Gaussian blobs whose spread exceeds their spacing, so Lloyd's algorithm keeps moving for many steps; the initial centroids are the first k points.</summary>
    private static void WritePoints(string path, string centroidsPath, int count, int dims, int k, int seed)
    {
        var rng = new Random(seed);
        var centers = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, dims).Select(_ => rng.NextDouble() * 4).ToArray()).ToArray();
        var first = new List<string>();
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false), 1 << 16))
        {
            for (int i = 0; i < count; i++)
            {
                var c = centers[rng.Next(k)];
                var line = string.Join(',', c.Select(x => (x + Gaussian(rng) * 2.0).ToString("R", CultureInfo.InvariantCulture)));
                w.WriteLine(line);
                if (first.Count < k) first.Add(line);
            }
        }
        File.WriteAllLines(centroidsPath, first);
        File.Move(tmp, path, overwrite: true);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
