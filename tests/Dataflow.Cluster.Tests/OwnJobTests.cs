using System.Globalization;
using System.Text.RegularExpressions;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// README's "Writing your own job", as a new user follows it: the project file and program it shows,
/// in a folder outside the repository, built, run embedded and on three worker processes.
/// </summary>
public sealed partial class OwnJobTests : IDisposable
{
    private const string ReadmeReference = "../dataflow/Engine/Dataflow.Engine.csproj";
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-ownjob-").FullName;

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(Path.Combine(_dir, "secret")));
        Directory.Delete(_dir, recursive: true);
    }

    [GeneratedRegex(@"<!-- own-job:(?<name>\w+) -->\s*```\w+\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex Block();

    [Fact]
    public void Readme_OwnJobProject_BuildsAndGivesTheSameLinesEmbeddedAndOnThreeWorkers()
    {
        var blocks = Block().Matches(File.ReadAllText(Path.Combine(Repo.Root, "README.md"))).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Value);
        Assert.Contains(ReadmeReference, blocks["csproj"], StringComparison.Ordinal);
        Assert.Single(Regex.Matches(blocks["program"], @"^using ", RegexOptions.Multiline)); // one using reaches what the job needs

        var project = Path.Combine(_dir, "MyJob");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "MyJob.csproj"), blocks["csproj"].Replace(ReadmeReference, Path.Combine(Repo.Root, "Engine", "Dataflow.Engine.csproj"), StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(project, "Program.cs"), blocks["program"]);
        var book = Path.Combine(_dir, "book.txt");
        var words = Enumerable.Range(0, 3_000).Select(i => $"w{i % 37 * (i % 5)}").ToList();
        File.WriteAllLines(book, words.Chunk(12).Select(c => string.Join(' ', c)));

        var build = Repo.Run(TimeSpan.FromMinutes(5), "build", project, "-c", "Release", "-nologo");
        Assert.True(build.Exit == 0, build.Out + build.Err);
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "MyJob.dll");

        var embedded = Repo.Run(TimeSpan.FromMinutes(2), dll, book);
        Assert.True(embedded.Exit == 0, embedded.Err);
        string secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secret);
        var cluster = Repo.Run(TimeSpan.FromMinutes(3), Repo.Launcher, "run", "--workers", "3", "--secret-file", secret, "--", dll, book);
        Assert.True(cluster.Exit == 0, cluster.Err);

        var expected = words.GroupBy(w => w).Select(g => (Word: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Word, StringComparer.Ordinal)
            .Take(10).Select(x => $"{x.Word}\t{x.Count.ToString(CultureInfo.InvariantCulture)}").ToList();
        string distinct = words.Distinct().Count().ToString(CultureInfo.InvariantCulture);
        foreach (var output in new[] { embedded.Out, cluster.Out })
        {
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.Equal(expected, lines.Where(l => l.Contains('\t', StringComparison.Ordinal)).ToList());
            Assert.Contains($"{distinct} counts halved until their sum was below 1", lines);
        }
    }
}
