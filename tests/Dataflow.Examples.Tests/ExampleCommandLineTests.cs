namespace Dataflow.Examples.Tests;

/// <summary>The examples' command lines (System.CommandLine): --help everywhere, usage errors exit 2 naming the option.</summary>
public sealed class ExampleCommandLineTests
{
    private static readonly string[] s_common =
    [
        "--parallelism", "--stats", "--output", "--placement", "--predictor", "--data-dir", "--elasticity", "--target-cpu", "--band", "--cooldown",
        "--scale-in-patience", "--overload-memory", "--scale-out-min-superstep-ms", "--slot-capacity", "--min-parallelism", "--max-parallelism",
        "--target-ms", "--supersteps", "--schedule",
    ];

    [Theory]
    [InlineData("PageRank", "--edges --iterations --damping --tolerance --skip-invalid --scale")]
    [InlineData("ConnectedComponents", "--edges --vertices --iterations --skip-invalid --scale")]
    [InlineData("KMeans", "--points --centroids --iterations --count --k --dims --skip-invalid")]
    [InlineData("WordCount", "--input --megabytes")]
    public void Help_EveryExample_ExitsZeroAndListsItsOptions(string program, string own)
    {
        var (exit, stdout, stderr) = ExampleProcess.Run(program, "--help");
        Assert.True(exit == 0, stderr);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains(program, stdout, StringComparison.Ordinal);
        foreach (var option in own.Split(' ').Concat(s_common)) Assert.Contains(option + " ", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
    }

    [Theory]
    [InlineData("PageRank", "--iteratons", "5")]
    [InlineData("ConnectedComponents", "--vertexes", "v.txt")]
    [InlineData("KMeans", "--centriods", "c.csv")]
    [InlineData("WordCount", "--inptu", "t.txt")]
    public void MisspelledOption_ExitsTwoNamingIt(string program, string misspelled, string value)
    {
        var (exit, stdout, stderr) = ExampleProcess.Run(program, misspelled, value);
        Assert.Equal(2, exit);
        Assert.Contains($"'{misspelled}'", stderr, StringComparison.Ordinal);
        Assert.Contains($"see: {program} --help", stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("PageRank", "--parallelism x", "--parallelism expects an integer, got 'x'")]
    [InlineData("PageRank", "--parallelism 0", "--parallelism must be at least 1, got 0")]
    [InlineData("PageRank", "--damping high", "--damping expects a number, got 'high'")]
    [InlineData("KMeans", "--iterations ten", "--iterations expects an integer, got 'ten'")]
    [InlineData("ConnectedComponents", "--predictor lstm", "--predictor expects arima or slidhmm, got 'lstm'")]
    [InlineData("WordCount", "--megabytes", "'--megabytes'")]
    [InlineData("PageRank", "--elasticity magic", "--elasticity expects none, utilization, runtime-target or fixed, got 'magic'")]
    [InlineData("PageRank", "--elasticity utilization --target-cpu 2", "--elasticity utilization: --target-cpu must be in (0, 1], not 2.")]
    [InlineData("KMeans", "--elasticity runtime-target", "--elasticity runtime-target: needs --target-ms")]
    [InlineData("PageRank", "--ui http", "--ui expects a port (0-65535), got 'http'")]
    [InlineData("WordCount", "--ui 70000", "--ui expects a port (0-65535), got '70000'")]
    [InlineData("KMeans", "--checkpoint-interval 0", "--checkpoint-interval must be at least 1, got 0")]
    [InlineData("PageRank", "--checkpoint-dir /tmp", "--checkpoint-dir needs --checkpoint-interval")]
    public void InvalidValue_ExitsTwoNamingTheOption(string program, string args, string message) => AssertUsageError(program, args, message);

    /// <summary>Exit code 2, <paramref name="message"/> on stderr, nothing on stdout.</summary>
    private static void AssertUsageError(string program, string args, string message)
    {
        var (exit, stdout, stderr) = ExampleProcess.Run(program, args.Split(' '));
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
        Assert.Equal("", stdout);
    }

    [Theory]
    [InlineData("PageRank", "--target-cpu 0.5", "--target-cpu applies only with --elasticity utilization.")]
    [InlineData("ConnectedComponents", "--schedule 1,2", "--schedule applies only with --elasticity fixed.")]
    [InlineData("KMeans", "--elasticity utilization --schedule 1,2", "--schedule does not apply to --elasticity utilization.")]
    [InlineData("PageRank", "--elasticity none --max-parallelism 4", "--max-parallelism does not apply to --elasticity none.")]
    public void PolicyOptionWithoutItsPolicy_ExitsTwoNamingIt(string program, string args, string message) => AssertUsageError(program, args, message);

    [Fact]
    public void PointsWithoutCentroids_ExitsTwo()
    {
        var (exit, _, stderr) = ExampleProcess.Run("KMeans", "--points", TestData.Path("iris.csv"));
        Assert.Equal(2, exit);
        Assert.Contains("--points needs --centroids", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Ui_EmbeddedPageRank_ServesWhileRunningAndGivesTheSameRanks()
    {
        string[] args = ["--edges", TestData.Path("karate.edges"), "--iterations", "30"];
        var plain = ExampleProcess.Run("PageRank", args);
        var served = ExampleProcess.Run("PageRank", [.. args, "--ui", "0"]);
        Assert.Equal(0, served.Exit);
        Assert.Matches(@"dashboard: http://127\.0\.0\.1:\d+/", served.Err);
        Assert.Equal(0, plain.Exit);
        // Sums of floating-point contributions arrive in thread order: equal to the last bits, not bit for bit.
        var expected = Ranks(plain.Out);
        var actual = Ranks(served.Out);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (id, rank) in expected) Assert.Equal(rank, actual[id], 1e-12);
    }

    private static Dictionary<string, double> Ranks(string stdout) => stdout.Split('\n').Where(l => l.Contains('\t', StringComparison.Ordinal))
        .Select(l => l.Split('\t')).ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));
}
