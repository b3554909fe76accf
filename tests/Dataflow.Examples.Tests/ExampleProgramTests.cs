using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Dataflow.Examples.Tests;

/// <summary>The example programs run as real processes, as a user runs them.</summary>
public sealed class ExampleProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-examples-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(string program, params string[] args) => ExampleProcess.Run(program, args);

    [Fact]
    public void PageRankProgram_Karate_WritesNetworkxRanksAndStats()
    {
        var output = Path.Combine(_dir, "ranks.tsv");
        var stats = Path.Combine(_dir, "stats.jsonl");
        var (exit, stdout, stderr) = Run("PageRank", "--edges", TestData.Path("karate.edges"), "--iterations", "100",
            "--output", output, "--parallelism", "2", "--stats", stats);
        Assert.True(exit == 0, stderr);
        Assert.Contains("superstep 100", stdout);
        var actual = TestData.ReadTsvDoubles(output);
        var expected = TestData.ReadTsvDoubles(TestData.Path("karate.pagerank.tsv"));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (v, r) in expected) Assert.True(Math.Abs(r - actual[v]) <= 1e-9, $"vertex {v}");
        var events = File.ReadAllLines(stats).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()).ToList();
        Assert.Equal(100, events.Count(e => e == "superstep"));
        Assert.Equal("job", events[^1]);
    }

    [Fact]
    public void KMeansProgram_Iris_WritesScikitLearnCentroids()
    {
        var output = Path.Combine(_dir, "centroids.csv");
        var (exit, _, stderr) = Run("KMeans", "--points", TestData.Path("iris.csv"), "--centroids", TestData.Path("iris.init-centroids.csv"),
            "--iterations", "10", "--output", output, "--parallelism", "4");
        Assert.True(exit == 0, stderr);
        var actual = TestData.ReadCsv(output);
        var expected = TestData.ReadCsv(TestData.Path("iris.centroids-after-10.csv"));
        for (int i = 0; i < expected.Length; i++)
        {
            for (int d = 0; d < expected[i].Length; d++) Assert.True(Math.Abs(expected[i][d] - actual[i][d]) <= 1e-9);
        }
    }

    [Fact]
    public void ConnectedComponentsProgram_Gnm300_WritesScipyComponents()
    {
        var output = Path.Combine(_dir, "components.tsv");
        var (exit, _, stderr) = Run("ConnectedComponents", "--edges", TestData.Path("gnm300.edges"),
            "--vertices", TestData.Path("gnm300.vertices"), "--output", output, "--parallelism", "3");
        Assert.True(exit == 0, stderr);
        Assert.Equal(TestData.ReadTsvLongs(TestData.Path("gnm300.components.tsv")), TestData.ReadTsvLongs(output));
    }

    [Fact]
    public void WordCountProgram_RealText_MatchesCoreutilsUniqCount()
    {
        var input = new[] { "/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/Apache-2.0" }.FirstOrDefault(File.Exists);
        if (input is null)
        {
            input = Path.Combine(_dir, "text.txt");
            File.WriteAllLines(input, Enumerable.Range(0, 3000).Select(i => $"the quick  brown fox {i % 17} jumps over the lazy dog"));
        }
        // Coreutils' view of a word: a run of characters between spaces (and line ends).
        var text = Path.Combine(_dir, "input.txt");
        File.WriteAllLines(text, File.ReadAllLines(input).Where(l => l.TrimStart(' ').Length > 0 && !l.StartsWith(' ')));
        var output = Path.Combine(_dir, "counts.tsv");
        var (exit, _, stderr) = Run("WordCount", "--input", text, "--output", output, "--parallelism", "2");
        Assert.True(exit == 0, stderr);
        var psi = new ProcessStartInfo("bash", ["-c", $"tr -s ' ' '\\n' < '{text}' | sort | uniq -c"]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var expected = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.TrimStart().Split(' ', 2)).Where(f => f.Length == 2 && f[1].Length > 0)
            .ToDictionary(f => f[1], f => long.Parse(f[0], CultureInfo.InvariantCulture));
        p.WaitForExit();
        var actual = File.ReadAllLines(output).Select(l => l.Split('\t')).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (word, count) in expected) Assert.Equal(count, actual[word]);
    }

    [Theory]
    [InlineData("PageRank", "--scale", "10", "--iterations", "5")]
    [InlineData("ConnectedComponents", "--scale", "10")]
    [InlineData("KMeans", "--count", "5000", "--k", "4", "--iterations", "3")]
    [InlineData("WordCount", "--megabytes", "1")]
    public void ExampleProgram_GeneratedDefaultData_RunsAndPrintsResult(params string[] args)
    {
        // --data-dir: the tests leave the user's cache of generated inputs alone.
        var (exit, stdout, stderr) = Run(args[0], [.. args[1..], "--data-dir", _dir]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("parallelism", stdout);
    }

    [Fact]
    public void PageRankProgram_MalformedLine_ExitsNonZeroWithPathAndLine()
    {
        var edges = Path.Combine(_dir, "bad.edges");
        File.WriteAllLines(edges, ["# comment", "1 2", "2 three", "3 1"]);
        var output = Path.Combine(_dir, "out.tsv");
        var (exit, _, stderr) = Run("PageRank", "--edges", edges, "--iterations", "3", "--output", output);
        Assert.Equal(1, exit);
        Assert.Contains($"{edges}:3:", stderr);
        Assert.False(File.Exists(output));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void ExampleProgram_UnknownOption_ExitsWithUsageError()
    {
        var (exit, _, stderr) = Run("ConnectedComponents", "--edgez", "x");
        Assert.Equal(2, exit);
        Assert.Contains("'--edgez'", stderr);
    }
}
