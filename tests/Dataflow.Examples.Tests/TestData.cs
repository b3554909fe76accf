using System.Globalization;

namespace Dataflow.Examples.Tests;

/// <summary>
/// Locates the reference data in <c>tests/data</c> of this repository (answers computed by networkx,
/// scikit-learn and scipy; see <c>tests/data/README.md</c>).
/// </summary>
internal static class TestData
{
    private static string? _root;

    private static string Root => _root ??= FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Dataflow.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Dataflow.sln not found above {AppContext.BaseDirectory}");
    }

    public static string Path(string name)
    {
        var path = System.IO.Path.Combine(Root, "tests", "data", name);
        if (!File.Exists(path)) throw new FileNotFoundException($"Reference data file not found: expected {path}", path);
        return path;
    }

    public static Dictionary<long, double> ReadTsvDoubles(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => double.Parse(f[1], CultureInfo.InvariantCulture));

    public static Dictionary<long, long> ReadTsvLongs(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => long.Parse(f[1], CultureInfo.InvariantCulture));

    public static double[][] ReadCsv(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();
}
