namespace Dataflow.Examples.Tests;

/// <summary>Where the examples put the inputs they generate: <c>--data-dir</c>, else a per-user cache folder, never the shared temp folder.</summary>
public sealed class GeneratedInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-generated-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string, string[]> Programs() => new()
    {
        { "PageRank", "rmat-scale8-ef16-seed1.edges", ["--scale", "8", "--iterations", "2"] },
        { "ConnectedComponents", "rmat-scale8-ef16-seed1.edges", ["--scale", "8"] },
        { "KMeans", "blobs-n500-k3-d2-seed7.csv", ["--count", "500", "--k", "3", "--dims", "2", "--iterations", "2"] },
        { "WordCount", "wordcount-1mb-seed42.txt", ["--megabytes", "1"] },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void ExampleProgram_DataDir_GeneratesThereOnceAndReusesIt(string program, string file, string[] args)
    {
        var dataDir = Path.Combine(_dir, "data", "nested");
        var (exit, stdout, stderr) = ExampleProcess.Run(program, [.. args, "--data-dir", dataDir, "--parallelism", "2"]);
        Assert.True(exit == 0, stderr);
        var path = Path.Combine(dataDir, file);
        Assert.Contains("generating", stdout);
        Assert.Contains(path, stdout);
        Assert.True(new FileInfo(path).Length > 0);
        Assert.Empty(Directory.GetFiles(dataDir, "*.tmp"));
        var written = File.GetLastWriteTimeUtc(path);

        (exit, stdout, stderr) = ExampleProcess.Run(program, [.. args, "--data-dir", dataDir, "--parallelism", "2"]);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("generating", stdout);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task ExampleProgram_NoDataDir_GeneratesIntoXdgCacheCreatedOwnerOnly()
    {
        var cache = Path.Combine(_dir, "cache");
        var environment = new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = cache };
        var (exit, _, stderr) = await ExampleProcess.RunAsync("PageRank", ["--scale", "6", "--iterations", "1"], environment);
        Assert.True(exit == 0, stderr);
        var folder = Path.Combine(cache, "dataflow", "inputs");
        Assert.True(File.Exists(Path.Combine(folder, "rmat-scale6-ef16-seed1.edges")));
        if (!OperatingSystem.IsWindows())
        {
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Assert.Equal(ownerOnly, File.GetUnixFileMode(folder));
            Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(cache, "dataflow")));
        }
    }

    [Fact]
    public async Task ExampleProgram_SeveralProcessesGenerateAtOnce_AllSucceedWithOneCompleteFile()
    {
        // As under ./dataflow run, where every worker's copy of the program generates the same input.
        var dataDir = Path.Combine(_dir, "shared");
        var runs = Enumerable.Range(0, 3)
            .Select(_ => ExampleProcess.RunAsync("ConnectedComponents", ["--scale", "12", "--data-dir", dataDir, "--parallelism", "1"]))
            .ToList();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.Exit == 0, r.Err));
        // Every run saw a complete graph: the same answer everywhere.
        Assert.Single(results.Select(r => r.Out.Split('\n').First(l => l.Contains("components", StringComparison.Ordinal)).Split(',')[0]).Distinct());
        Assert.Equal(new[] { "rmat-scale12-ef16-seed1.edges" }, Directory.GetFiles(dataDir).Select(f => Path.GetFileName(f)));
    }
}
