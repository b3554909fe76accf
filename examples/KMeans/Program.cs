using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Examples;
using Dataflow.Examples.KMeans;

// KMeans: --points F --centroids F --iterations N [--skip-invalid] [--output F] [--parallelism P] [--stats F]
// With no --points it runs on generated Gaussian blobs (--count points, --k clusters, --dims), kept in --data-dir DIR
// or the per-user cache folder (~/.cache/dataflow/inputs). Every row of both files must be as many finite numbers
// as the first row of the points file has fields; --skip-invalid skips (and counts) the rows that are not.
// A .parquet --points file holds one point per row in all its (numeric) columns, in file order; a .parquet --output
// gets columns centroid, dimension and value (one row per coordinate).
var pointsOption = new Option<string>("--points") { Description = "the points: CSV rows of numbers, or .parquet with numeric columns (default: generated Gaussian blobs); needs --centroids" };
var centroidsOption = new Option<string>("--centroids") { Description = "the initial centroids: CSV rows with as many numbers as a point (default with generated points: the first k points)" };
var iterationsOption = CommandLineOptions.Int("--iterations", "supersteps", 10, 1);
var countOption = CommandLineOptions.Int("--count", "without --points: how many points to generate", 100_000, 1);
var kOption = CommandLineOptions.Int("--k", "without --points: how many clusters (and centroids) to generate", 8, 1);
var dimsOption = CommandLineOptions.Int("--dims", "without --points: the dimensions of the generated points", 4, 1);
var skipInvalidOption = SharedOptions.SkipInvalid();
var command = new ExampleCommand("KMeans", "k-means clustering by bulk iteration: prints the final centroids, or writes them with --output",
    "writes the final centroids to this file: CSV rows, or a .parquet file with columns centroid, dimension and value",
    pointsOption, centroidsOption, iterationsOption, countOption, kOption, dimsOption, skipInvalidOption);
return await command.RunAsync(args, async (parsed, settings, ct) =>
{
    var (env, resources) = await ExampleRunner.CreateEnvironmentAsync(settings);
    await using var _ = resources;
    bool skipInvalid = parsed.GetValue(skipInvalidOption);
    var pointsPath = parsed.GetValue(pointsOption);
    var centroidsPath = parsed.GetValue(centroidsOption);
    if (pointsPath is null)
    {
        const int seed = 7;
        int count = parsed.GetValue(countOption), k = parsed.GetValue(kOption), dims = parsed.GetValue(dimsOption);
        var name = $"blobs-n{count}-k{k}-d{dims}-seed{seed}";
        var points = GeneratedInputs.GetOrCreate(settings, $"{name}.csv", $"{count} points in {k} Gaussian blobs",
            file => BlobGenerator.WritePoints(file, count, k, dims, seed));
        // The generated centroids are the first k points; a --centroids file is used as given, never overwritten.
        centroidsPath ??= GeneratedInputs.GetOrCreate(settings, $"{name}.centroids.csv", $"{k} initial centroids",
            file => BlobGenerator.WriteFirstLines(points, file, k));
        pointsPath = points;
    }
    else if (centroidsPath is null)
    {
        throw new ArgumentException("--points needs --centroids.");
    }
    var sw = Stopwatch.StartNew();
    var initial = KMeansJob.ReadCentroids(centroidsPath, skipInvalid, out int skippedCentroids);
    if (skipInvalid) Console.WriteLine($"skipped {skippedCentroids} invalid rows of centroids file {centroidsPath}");
    bool parquet = ColumnarInput.IsParquet(pointsPath);
    int dimensions;
    if (parquet)
    {
        await ColumnarInput.RequireRowsAsync(pointsPath, "points", ct);
        dimensions = (await ColumnarFiles.ParquetVectorShapeAsync(pointsPath, ct)).Columns;
    }
    else
    {
        dimensions = KMeansJob.Dimensions(pointsPath);
    }
    if (dimensions != initial[0].Coordinates.Length)
    {
        throw new InvalidDataException($"points file {pointsPath} has {dimensions} dimensions but centroids file {centroidsPath} has {initial[0].Coordinates.Length}; they must agree");
    }
    DataSet<double[]> pointSet;
    if (parquet)
    {
        pointSet = ColumnarInput.ReadPoints(env, pointsPath); // --skip-invalid applies to text inputs
    }
    else
    {
        var pointRows = new CheckedRows<double[]>(env, pointsPath, "points", row => KMeansJob.ParsePoint(row, dimensions), CsvFormat.Default, skipInvalid);
        await pointRows.ReportSkippedAsync(ct);
        pointSet = pointRows.Valid;
    }
    var result = KMeansJob.Build(pointSet, env.FromCollection(initial), parsed.GetValue(iterationsOption));
    var centroids = (await result.CollectAsync(ct)).OrderBy(c => c.Id).ToList();
    if (settings.Output is { } output && ColumnarInput.IsParquet(output))
    {
        // One row per coordinate, so that any dimension fits fixed columns.
        var rows = centroids.SelectMany(c => c.Coordinates.Select((x, d) => (c.Id, d, x))).ToList();
        await env.FromEnumerable(rows).WriteParquetAsync(output, ["centroid", "dimension", "value"], cancellationToken: ct);
        Console.WriteLine($"wrote {output} in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
    }
    else if (settings.Output is { } textOutput)
    {
        var lines = centroids.Select(c => string.Join(',', c.Coordinates.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        // Through a sink, so that under the launcher the submitter writes the file (not every copy of the program).
        await env.FromEnumerable(lines).WriteTextAsync(textOutput, cancellationToken: ct);
        Console.WriteLine($"wrote {textOutput} in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
    }
    else
    {
        Console.WriteLine($"{centroids.Count} centroids in {sw.Elapsed.TotalSeconds:F2} s (parallelism {env.Parallelism})");
        foreach (var c in centroids)
        {
            Console.WriteLine($"{c.Id}\t{string.Join(",", c.Coordinates.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))}");
        }
    }
});

/// <summary>Gaussian blobs with overlapping clusters, and initial centroids taken from the first points.</summary>
internal static class BlobGenerator
{
    /// <summary>Writes <paramref name="count"/> points around <paramref name="k"/> random centres (to a temporary file renamed into place).</summary>
    public static void WritePoints(string path, int count, int k, int dims, int seed)
    {
        var rng = new Random(seed);
        var centers = Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, dims).Select(_ => rng.NextDouble() * 10).ToArray()).ToArray();
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"; // several processes (cluster copies of the program) may generate at once
        using (var w = new StreamWriter(tmp))
        {
            for (int i = 0; i < count; i++)
            {
                var c = centers[rng.Next(k)];
                w.WriteLine(string.Join(',', c.Select(x => (x + Gaussian(rng) * 1.5).ToString("R", CultureInfo.InvariantCulture))));
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Writes the first <paramref name="k"/> lines of <paramref name="source"/> to <paramref name="path"/> (through a temporary file).</summary>
    public static void WriteFirstLines(string source, string path, int k)
    {
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllLines(tmp, File.ReadLines(source).Take(k));
        File.Move(tmp, path, overwrite: true);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
