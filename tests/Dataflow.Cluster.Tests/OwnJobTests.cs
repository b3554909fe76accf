using System.Globalization;
using System.IO.Compression;
using System.Text.RegularExpressions;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// README's "Writing your own job", as a new user follows it: the project file and program it shows,
/// in a folder outside the repository, built, run embedded and on three worker processes; once
/// referencing the engine's project, once its packed NuGet packages by version.
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
        var blocks = ReadmeBlocks();
        Assert.Contains(ReadmeReference, blocks["csproj"], StringComparison.Ordinal);
        Assert.Single(Regex.Matches(blocks["program"], @"^using ", RegexOptions.Multiline)); // one using reaches what the job needs

        var project = WriteProject(blocks["csproj"].Replace(ReadmeReference, Path.Combine(Repo.Root, "Engine", "Dataflow.Engine.csproj"), StringComparison.Ordinal), blocks["program"]);
        var (book, words) = WriteBook();

        var build = Repo.Run(TimeSpan.FromMinutes(5), "build", project, "-c", "Release", "-nologo");
        Assert.True(build.Exit == 0, build.Out + build.Err);
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "MyJob.dll");

        var embedded = Repo.Run(TimeSpan.FromMinutes(2), dll, book);
        Assert.True(embedded.Exit == 0, embedded.Err);
        var cluster = Repo.Run(TimeSpan.FromMinutes(3), Repo.Launcher, "run", "--workers", "3", "--secret-file", NewSecret(), "--", dll, book);
        Assert.True(cluster.Exit == 0, cluster.Err);

        AssertLinqLines(words, embedded.Out);
        AssertLinqLines(words, cluster.Out);
    }

    /// <summary>
    /// README's package way: <c>dotnet pack Dataflow.sln</c> into a folder, README's job referencing <c>Dataflow.Engine</c> by
    /// version from that folder (README's <c>PackageReference</c> in place of its <c>ProjectReference</c>), restored into a
    /// private, empty packages folder so that no earlier copy of a Dataflow package can stand in for the packed one; run
    /// embedded, and on three workers by the launcher installed as a .NET tool from the same folder.
    /// </summary>
    [Fact]
    public void Pack_ReadmeJobReferencingTheEngineByVersion_BuildsAndGivesTheSameLinesEmbeddedAndOnThreeWorkersOfTheTool()
    {
        var blocks = ReadmeBlocks();
        string version = Regex.Match(File.ReadAllText(Path.Combine(Repo.Root, "Directory.Build.props")), "<VersionPrefix>(?<v>[^<]+)</VersionPrefix>").Groups["v"].Value;
        Assert.NotEmpty(version);
        string packageReference = blocks["package"].Trim();
        Assert.Equal($"<PackageReference Include=\"Dataflow.Engine\" Version=\"{version}\" />", packageReference); // README names the version that is packed

        var feed = Path.Combine(_dir, "feed");
        // README's command on the build the test command made (--no-build): building again here would replace the assemblies
        // that the other tests' worker processes load while they run (with other module ids, which a build-identity check refuses).
        var pack = Repo.Run(TimeSpan.FromMinutes(10), "pack", Path.Combine(Repo.Root, "Dataflow.sln"), "-c", "Release", "-o", feed, "-nologo", "--no-build");
        Assert.True(pack.Exit == 0, pack.Out + pack.Err);
        string[] libraries = ["Dataflow.Runtime", "Dataflow.Operators", "Dataflow.Scheduling", "Dataflow.Elasticity", "Dataflow.Engine", "Dataflow.Cluster", "Dataflow.Dashboard", "Dataflow.CommandLine", "Dataflow.Launcher"];
        Assert.Equal(
            libraries.SelectMany(l => new[] { $"{l}.{version}.nupkg", $"{l}.{version}.snupkg" }).Order(StringComparer.Ordinal),
            Directory.GetFiles(feed).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // nothing else (tests, examples, benchmarks) is packed
        using (var engine = ZipFile.OpenRead(Path.Combine(feed, $"Dataflow.Engine.{version}.nupkg")))
        {
            var entries = engine.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            Assert.Superset(new HashSet<string>(["README.md", "LICENSE", "lib/net10.0/Dataflow.Engine.dll", "lib/net10.0/Dataflow.Engine.xml"], StringComparer.Ordinal), entries);
            using var nuspec = new StreamReader(engine.GetEntry("Dataflow.Engine.nuspec")!.Open());
            string metadata = nuspec.ReadToEnd();
            Assert.Contains("<license type=\"expression\">MIT</license>", metadata, StringComparison.Ordinal);
            foreach (var library in libraries.Take(4)) Assert.Contains($"<dependency id=\"{library}\" version=\"{version}\"", metadata, StringComparison.Ordinal);
        }
        using (var symbols = ZipFile.OpenRead(Path.Combine(feed, $"Dataflow.Engine.{version}.snupkg")))
        {
            Assert.Contains("lib/net10.0/Dataflow.Engine.pdb", symbols.Entries.Select(e => e.FullName));
        }

        // The only sources: the packed folder for Dataflow.*, and for the engine's dependencies (MessagePack, Parquet.Net,
        // Microsoft.Extensions.*) the machine's global packages folder, where building the repository put them (a folder
        // source, so the test needs no network); a private packages folder to restore into.
        string machinePackages = GlobalPackagesFolder();
        File.WriteAllText(Path.Combine(_dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="dataflow" value="{feed}" />
                <add key="machine" value="{machinePackages}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="dataflow"><package pattern="Dataflow.*" /></packageSource>
                <packageSource key="machine"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        var packages = Path.Combine(_dir, "packages");
        var environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };

        var project = WriteProject(blocks["csproj"].Replace($"<ProjectReference Include=\"{ReadmeReference}\" />", packageReference, StringComparison.Ordinal), blocks["program"]);
        Assert.DoesNotContain("ProjectReference", File.ReadAllText(Path.Combine(project, "MyJob.csproj")), StringComparison.Ordinal);
        var (book, words) = WriteBook();

        var build = Repo.Run(TimeSpan.FromMinutes(5), environment, "build", project, "-c", "Release", "-nologo");
        Assert.True(build.Exit == 0, build.Out + build.Err);
        // The engine came from the packed folder, into the private packages folder.
        foreach (var library in libraries.Take(5))
        {
            Assert.True(File.Exists(Path.Combine(packages, library.ToLowerInvariant(), version, $"{library.ToLowerInvariant()}.{version}.nupkg")), library);
        }
        var dll = Path.Combine(project, "bin", "Release", "net10.0", "MyJob.dll");
        Assert.True(File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "Dataflow.Engine.dll")));

        var embedded = Repo.Run(TimeSpan.FromMinutes(2), dll, book);
        Assert.True(embedded.Exit == 0, embedded.Err);

        var tools = Path.Combine(_dir, "tools");
        var install = Repo.Run(TimeSpan.FromMinutes(3), environment, "tool", "install", "Dataflow.Launcher", "--version", version, "--tool-path", tools, "--configfile", Path.Combine(_dir, "nuget.config"));
        Assert.True(install.Exit == 0, install.Out + install.Err);
        var cluster = Repo.RunProgram(Path.Combine(tools, "dataflow"), TimeSpan.FromMinutes(3), null, "run", "--workers", "3", "--secret-file", NewSecret(), "--", dll, book);
        Assert.True(cluster.Exit == 0, cluster.Err);

        AssertLinqLines(words, embedded.Out);
        AssertLinqLines(words, cluster.Out);
    }

    private static Dictionary<string, string> ReadmeBlocks() =>
        Block().Matches(File.ReadAllText(Path.Combine(Repo.Root, "README.md"))).ToDictionary(m => m.Groups["name"].Value, m => m.Groups["code"].Value);

    /// <summary>The folder NuGet restores packages into on this machine (<c>dotnet nuget locals global-packages --list</c>).</summary>
    private static string GlobalPackagesFolder()
    {
        var locals = Repo.Run(TimeSpan.FromMinutes(1), "nuget", "locals", "global-packages", "--list");
        Assert.True(locals.Exit == 0, locals.Out + locals.Err);
        const string Prefix = "global-packages: ";
        var line = locals.Out.Split('\n', StringSplitOptions.TrimEntries).Single(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return line[Prefix.Length..];
    }

    private string WriteProject(string csproj, string program)
    {
        var project = Path.Combine(_dir, "MyJob");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "MyJob.csproj"), csproj);
        File.WriteAllText(Path.Combine(project, "Program.cs"), program);
        return project;
    }

    private (string Path, List<string> Words) WriteBook()
    {
        var book = Path.Combine(_dir, "book.txt");
        var words = Enumerable.Range(0, 3_000).Select(i => $"w{i % 37 * (i % 5)}").ToList();
        File.WriteAllLines(book, words.Chunk(12).Select(c => string.Join(' ', c)));
        return (book, words);
    }

    /// <summary>A new cluster secret in the test's folder (Dispose checks that no process still names it).</summary>
    private string NewSecret()
    {
        string secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secret);
        return secret;
    }

    /// <summary>The job's output: the ten most common words with their counts as LINQ to Objects finds them, and the halving line.</summary>
    private static void AssertLinqLines(List<string> words, string output)
    {
        var expected = words.GroupBy(w => w).Select(g => (Word: g.Key, Count: g.Count())).OrderByDescending(x => x.Count).ThenBy(x => x.Word, StringComparer.Ordinal)
            .Take(10).Select(x => $"{x.Word}\t{x.Count.ToString(CultureInfo.InvariantCulture)}").ToList();
        string distinct = words.Distinct().Count().ToString(CultureInfo.InvariantCulture);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(expected, lines.Where(l => l.Contains('\t', StringComparison.Ordinal)).ToList());
        Assert.Contains($"{distinct} counts halved until their sum was below 1", lines);
    }
}
