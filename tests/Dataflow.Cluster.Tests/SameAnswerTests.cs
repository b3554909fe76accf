using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Keys of every kind (record struct and class with string members, tuples, nested records, enum,
/// nullable, date, decimal and GUID members) grouped, joined, co-grouped and de-duplicated: the
/// same files embedded at parallelism 1 and 3 and on three worker processes.
/// </summary>
public sealed class SameAnswerTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-same-").FullName;
    private readonly string _secret;

    public SameAnswerTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret));
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void SameAnswer_EmbeddedAndOnThreeWorkers_FilesEqualExactly(int seed)
    {
        string Dir(string name) => Path.Combine(_dir, name);
        string[] common = ["--seed", seed.ToString(CultureInfo.InvariantCulture)];
        var p1 = Repo.Run(s_timeout, [Repo.TestProgram("SameAnswer"), .. common, "--parallelism", "1", "--output", Dir("p1")]);
        Assert.True(p1.Exit == 0, p1.Err);
        var p3 = Repo.Run(s_timeout, [Repo.TestProgram("SameAnswer"), .. common, "--parallelism", "3", "--output", Dir("p3")]);
        Assert.True(p3.Exit == 0, p3.Err);
        var cluster = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "3", "--secret-file", _secret, "--", Repo.TestProgram("SameAnswer"), .. common, "--output", Dir("w3")]);
        Assert.True(cluster.Exit == 0, cluster.Err);

        var names = Directory.GetFiles(Dir("p1")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(31, names.Length);
        Assert.Equal(names, Directory.GetFiles(Dir("w3")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray());
        foreach (var name in names)
        {
            var expected = Lines(Dir("p1"), name!);
            Assert.True(expected.Length > 0, name);
            Assert.True(expected.SequenceEqual(Lines(Dir("p3"), name!)), $"{name}: parallelism 3 differs from parallelism 1");
            Assert.True(expected.SequenceEqual(Lines(Dir("w3"), name!)), $"{name}: three workers differ from parallelism 1");
        }

        // The program: 6 979 keys, each with its whole count (120 000 / 6 979 is 17 or 18).
        foreach (var name in new[] { "users-struct.txt", "users-class.txt" })
        {
            var lines = Lines(Dir("w3"), name);
            Assert.Equal(6_979, lines.Length);
            Assert.All(lines, l => Assert.True(l.EndsWith("\t17", StringComparison.Ordinal) || l.EndsWith("\t18", StringComparison.Ordinal), l));
        }
        Assert.Contains("SKey { Name = user0, Part = 0 }\t18", Lines(Dir("w3"), "users-struct.txt"));
    }

    [Fact]
    public void CreateLocal_ProgramRunByTheLauncher_FailsSayingToUseCreate()
    {
        var run = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "2", "--secret-file", _secret, "--", Repo.TestProgram("SameAnswer"),
            "--local", "true", "--output", Path.Combine(_dir, "out")]);
        Assert.NotEqual(0, run.Exit);
        Assert.Contains("DataflowEnvironment.CreateLocal", run.Err, StringComparison.Ordinal);
        Assert.Contains("Use DataflowEnvironment.Create()", run.Err, StringComparison.Ordinal);
    }

    private static string[] Lines(string dir, string name) => File.ReadAllLines(Path.Combine(dir, name)).Order(StringComparer.Ordinal).ToArray();
}
