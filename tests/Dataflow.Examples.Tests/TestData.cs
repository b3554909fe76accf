using System.Globalization;

namespace Dataflow.Examples.Tests;

/// <summary>Locates <c>shared/testdata</c> (reference answers computed by networkx, scikit-learn and scipy).</summary>
internal static class TestData
{
    public static string Path(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "testdata", name);
            if (File.Exists(candidate)) return candidate;
            candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "testdata", name);
            if (File.Exists(candidate)) return System.IO.Path.GetFullPath(candidate);
        }
        throw new FileNotFoundException($"shared/testdata/{name} not found above {AppContext.BaseDirectory}");
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
