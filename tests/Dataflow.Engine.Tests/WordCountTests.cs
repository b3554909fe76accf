using System.Text;

namespace Dataflow.Engine.Tests;

/// <summary>The WordCount example's pipeline (examples/WordCount/Program.cs), run in-process against a LINQ word count.</summary>
public sealed class WordCountTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>The same pipeline as the example: split on ' ', skip empty ranges, count per word.</summary>
    private static DataSet<(string Key, long Count)> WordCount(DataflowEnvironment env, string input) =>
        env.ReadTextLines(input)
            .FlatMap<string>((line, emit) =>
            {
                foreach (var range in line.AsSpan().Split(' '))
                {
                    if (range.End.Value > range.Start.Value) emit.Emit(line[range]);
                }
            })
            .GroupBy(word => word)
            .Count();

    private static IEnumerable<(string, long)> LinqWordCount(string path) =>
        File.ReadAllLines(path)
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .GroupBy(w => w, StringComparer.Ordinal)
            .Select(g => (g.Key, (long)g.Count()));

    private string WriteText(int seed, int lines)
    {
        var r = new Random(seed);
        string[] vocabulary = [.. Enumerable.Range(0, 300).Select(_ => Gen.RandomWord(r)), "Ünïcödé", "日本語", "tab\tword", "😀"];
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            int words = r.Next(12);
            for (int j = 0; j < words; j++)
            {
                // Zipf-like: low indices are much more frequent; runs of spaces make empty ranges.
                int k = (int)Math.Min(vocabulary.Length - 1, Math.Floor(Math.Pow(vocabulary.Length, r.NextDouble())) - 1);
                sb.Append(vocabulary[k]).Append(r.Next(5) == 0 ? "   " : " ");
            }
            sb.Append(r.Next(3) == 0 ? "\r\n" : "\n");
        }
        var path = _dir.File($"text-{seed}.txt");
        File.WriteAllText(path, sb.ToString(), new UTF8Encoding(false));
        return path;
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(4, 3)]
    [InlineData(7, 4)]
    public async Task WordCount_RandomText_MatchesLinqWordCount(int p, int seed)
    {
        var path = WriteText(seed, lines: 20_000);
        var actual = await WordCount(DataflowEnvironment.CreateLocal(p), path).CollectAsync();
        Multiset.Equal(LinqWordCount(path), actual);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WordCount_WrittenAsText_MatchesLinqWordCount(int p)
    {
        var path = WriteText(seed: 10 + p, lines: 5000);
        var output = _dir.File($"counts-{p}.txt");
        await WordCount(DataflowEnvironment.CreateLocal(p), path).WriteTextAsync(output, c => $"{c.Key}\t{c.Count}");
        var written = File.ReadAllLines(output).Select(l =>
        {
            int tab = l.LastIndexOf('\t');
            return (l[..tab], long.Parse(l[(tab + 1)..]));
        });
        Multiset.Equal(LinqWordCount(path), written);
    }

    [Fact]
    public async Task WordCount_SmallKnownText_CountsEachWord()
    {
        var path = _dir.File("known.txt");
        File.WriteAllText(path, "the quick  brown fox\njumps over the\n\n lazy dog the end");
        var actual = await WordCount(DataflowEnvironment.CreateLocal(3), path).CollectAsync();
        var byWord = actual.ToDictionary(x => x.Key, x => x.Count);
        Assert.Equal(3, byWord["the"]);
        Assert.Equal(1, byWord["dog"]);
        Assert.Equal(9, byWord.Count);
        Assert.Equal(11, byWord.Values.Sum());
    }

    /// <summary>The ten most common words, ties broken by the word (ordinal), as LINQ to Objects computes them.</summary>
    private static List<(string Key, long Count)> LinqTopTen(string path) =>
        LinqWordCount(path).OrderByDescending(c => c.Item2).ThenBy(c => c.Item1, StringComparer.Ordinal).Take(10).ToList();

    [Theory]
    [InlineData(1, 21)]
    [InlineData(2, 22)]
    [InlineData(3, 23)]
    [InlineData(4, 24)]
    public async Task WordCountTopTen_OrderByTake_MatchesLinq(int p, int seed)
    {
        var path = WriteText(seed, lines: 20_000);
        var actual = await WordCount(DataflowEnvironment.CreateLocal(p), path)
            .OrderByDescending(c => c.Count).ThenBy(c => c.Key).Take(10).CollectAsync();
        Assert.Equal(LinqTopTen(path), actual);
    }

    [Theory]
    [InlineData(1, 31)]
    [InlineData(2, 32)]
    [InlineData(3, 33)]
    [InlineData(4, 34)]
    public async Task WordCountTopTen_Top_MatchesLinq(int p, int seed)
    {
        var path = WriteText(seed, lines: 20_000);
        // A total key: more occurrences first, then the ordinally smaller word.
        var byCountThenWord = Comparer<(string Key, long Count)>.Create((a, b) =>
            a.Count != b.Count ? a.Count.CompareTo(b.Count) : string.CompareOrdinal(b.Key, a.Key));
        var actual = await WordCount(DataflowEnvironment.CreateLocal(p), path).Top(10, c => c, byCountThenWord).CollectAsync();
        Assert.Equal(LinqTopTen(path), actual);
    }
}
