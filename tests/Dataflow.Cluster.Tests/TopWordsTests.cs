using System.Globalization;
using System.Text;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Ordering operators and outer joins over a word count (tests/Programs/TopWords): the files, in
/// their line order, are the same embedded at parallelism 1 and 3 and on three worker processes,
/// and the ten most common words equal LINQ to Objects'.
/// </summary>
public sealed class TopWordsTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(4);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-topwords-").FullName;
    private readonly string _secret;

    public TopWordsTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret));
        Directory.Delete(_dir, recursive: true);
    }

    private string WriteText(int seed, int lines)
    {
        var r = new Random(seed);
        string[] vocabulary = [.. Enumerable.Range(0, 400).Select(i => "w" + r.Next(100_000).ToString(CultureInfo.InvariantCulture)), "the", "data", "flow", "Ünïcödé", "日本語"];
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            int words = r.Next(12);
            for (int j = 0; j < words; j++)
            {
                // Zipf-like frequencies, so the top ten are clear but ties occur further down.
                int k = (int)Math.Min(vocabulary.Length - 1, Math.Floor(Math.Pow(vocabulary.Length, r.NextDouble())) - 1);
                sb.Append(vocabulary[k]).Append(' ');
            }
            sb.Append('\n');
        }
        var path = Path.Combine(_dir, "text.txt");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void TopWords_EmbeddedAndOnThreeWorkers_FilesEqualInOrderAndTopTenMatchesLinq()
    {
        string Dir(string name) => Path.Combine(_dir, name);
        var input = WriteText(seed: 5, lines: 30_000);
        var p1 = Repo.Run(s_timeout, [Repo.TestProgram("TopWords"), "--input", input, "--parallelism", "1", "--output", Dir("p1")]);
        Assert.True(p1.Exit == 0, p1.Err);
        var p3 = Repo.Run(s_timeout, [Repo.TestProgram("TopWords"), "--input", input, "--parallelism", "3", "--output", Dir("p3")]);
        Assert.True(p3.Exit == 0, p3.Err);
        var cluster = Repo.Run(s_timeout, [Repo.Launcher, "run", "--workers", "3", "--secret-file", _secret, "--", Repo.TestProgram("TopWords"),
            "--input", input, "--output", Dir("w3")]);
        Assert.True(cluster.Exit == 0, cluster.Err);

        var names = Directory.GetFiles(Dir("p1")).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal<string>(["full-join.txt", "right-join.txt", "sorted-by-word.txt", "top-orderby.txt", "top-top.txt"], names);
        foreach (var name in names)
        {
            var expected = File.ReadAllLines(Path.Combine(Dir("p1"), name));
            Assert.True(expected.Length > 0, name);
            Assert.True(expected.SequenceEqual(File.ReadAllLines(Path.Combine(Dir("p3"), name))), $"{name}: parallelism 3 differs from parallelism 1");
            Assert.True(expected.SequenceEqual(File.ReadAllLines(Path.Combine(Dir("w3"), name))), $"{name}: three workers differ from parallelism 1");
        }

        var counts = File.ReadAllLines(input).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .GroupBy(w => w, StringComparer.Ordinal).Select(g => (Word: g.Key, Count: g.Count())).ToList();
        var topTen = counts.OrderByDescending(c => c.Count).ThenBy(c => c.Word, StringComparer.Ordinal).Take(10)
            .Select(c => $"{c.Word}\t{c.Count}").ToArray();
        Assert.Equal(topTen, File.ReadAllLines(Path.Combine(Dir("w3"), "top-orderby.txt")));
        Assert.Equal(topTen, File.ReadAllLines(Path.Combine(Dir("w3"), "top-top.txt")));
        Assert.Equal(counts.OrderBy(c => c.Word, StringComparer.Ordinal).Select(c => $"{c.Word}\t{c.Count}"),
            File.ReadAllLines(Path.Combine(Dir("w3"), "sorted-by-word.txt")));
        Assert.Contains("not-in-the-text\t0", File.ReadAllLines(Path.Combine(Dir("w3"), "right-join.txt")));
        Assert.Contains("-\tnot-in-the-text\t0", File.ReadAllLines(Path.Combine(Dir("w3"), "full-join.txt")));
    }
}
