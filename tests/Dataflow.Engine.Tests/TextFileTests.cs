using System.Text;
using Dataflow.Operators.Sources;

namespace Dataflow.Engine.Tests;

/// <summary>
/// Text and CSV sources read files in parallel byte splits; whatever the split points, every line
/// must be read exactly once, exactly as <see cref="File.ReadAllLines(string)"/> reads it.
/// </summary>
public sealed class TextFileTests : IDisposable
{
    private static readonly int[] Parallelisms = [1, 2, 4, 7];
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static byte[] Utf8(string s) => new UTF8Encoding(false).GetBytes(s);

    private static byte[] WithBom(string s) => [.. Bom, .. Utf8(s)];

    private static string Numbered(int lines, string newline, Func<int, string> line) =>
        string.Concat(Enumerable.Range(0, lines).Select(i => line(i) + newline));

    /// <summary>Named file contents; "random-N" and "tiny-N" are generated from seed N.</summary>
    private static byte[] Content(string name)
    {
        switch (name)
        {
            case "crlf": return Utf8(Numbered(3000, "\r\n", i => i % 10 == 0 ? "" : $"line {i} with some words"));
            case "lf-no-trailing-newline": return Utf8(Numbered(2999, "\n", i => $"row {i}") + "last row");
            case "crlf-no-trailing-newline": return Utf8(Numbered(500, "\r\n", i => $"r{i}") + "end");
            case "empty-lines": return Utf8("\n\nfirst\n\n\nsecond\n\n" + Numbered(700, "\n", i => i % 3 == 0 ? "" : "x"));
            case "only-newlines": return Utf8("\n\n\n\n\n");
            case "bom": return WithBom(Numbered(2000, "\n", i => $"bom line {i} ü"));
            case "bom-crlf-tiny": return WithBom("ab\r\ncd\r\n");
            case "bom-tiny": return WithBom("ab\ncd\n");
            case "bom-single-line": return WithBom("only");
            case "multibyte": return Utf8(Numbered(1500, "\n", i => $"{i} héllo wörld 日本語 😀 {new string('ß', i % 40)}"));
            case "long-lines":
                return Utf8("short\n" + new string('a', 1_500_000) + "\nmiddle\n" + new string('é', 700_000) + "\n" +
                    Numbered(100, "\n", i => $"s{i}") + new string('z', 1_200_000));
            case "long-first-line": return Utf8(new string('q', (1 << 20) + 17) + "\r\n" + Numbered(50, "\r\n", i => $"t{i}"));
            case "one-byte": return Utf8("x");
            case "one-line": return Utf8("x\n");
            case "two-lines-no-newline": return Utf8("a\nb");
            case "empty": return [];
        }
        if (name.StartsWith("random-", StringComparison.Ordinal)) return Random(int.Parse(name[7..]), lines: 2000);
        if (name.StartsWith("tiny-", StringComparison.Ordinal)) return Random(int.Parse(name[5..]), lines: 1 + int.Parse(name[5..]) % 4);
        throw new ArgumentOutOfRangeException(nameof(name));
    }

    private static readonly string[] Pieces = ["a", "b", " ", "\t", "é", "日", "😀", "word", ",", "\"", "ß"];

    private static byte[] Random(int seed, int lines)
    {
        var r = new Random(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            int len = r.Next(4) == 0 ? 0 : r.Next(lines > 10 ? 60 : 5);
            for (int j = 0; j < len; j++) sb.Append(Pieces[r.Next(Pieces.Length)]);
            if (i < lines - 1 || r.Next(2) == 0) sb.Append(r.Next(2) == 0 ? "\n" : "\r\n");
        }
        var bytes = Utf8(sb.ToString());
        return r.Next(4) == 0 ? [.. Bom, .. bytes] : bytes;
    }

    public static TheoryData<string, int> LineCases
    {
        get
        {
            string[] names =
            [
                "crlf", "lf-no-trailing-newline", "crlf-no-trailing-newline", "empty-lines", "only-newlines", "bom",
                "bom-crlf-tiny", "bom-tiny", "bom-single-line", "multibyte", "long-lines", "long-first-line", "one-byte", "one-line",
                "two-lines-no-newline", "empty", "random-1", "random-2", "random-3",
            ];
            var data = new TheoryData<string, int>();
            foreach (var n in names)
            {
                foreach (int p in Parallelisms) data.Add(n, p);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(LineCases))]
    public async Task ReadTextLines_File_ReturnsExactlyTheLinesOfReadAllLines(string content, int p)
    {
        var path = _dir.File(content + ".txt");
        File.WriteAllBytes(path, Content(content));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.ReadTextLines(path).CollectAsync();
        Multiset.Equal(File.ReadAllLines(path), actual, $"lines of {content} at parallelism {p}");
    }

    public static TheoryData<int, int> TinyCases
    {
        get
        {
            var data = new TheoryData<int, int>();
            for (int seed = 0; seed < 24; seed++)
            {
                data.Add(seed, 4);
                data.Add(seed, 7);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TinyCases))]
    public async Task ReadTextLines_RandomFileSmallerThanTheSplits_ReturnsExactlyTheLinesOfReadAllLines(int seed, int p)
    {
        var path = _dir.File($"tiny-{seed}.txt");
        var bytes = Content($"tiny-{seed}");
        File.WriteAllBytes(path, bytes);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.ReadTextLines(path).CollectAsync();
        Multiset.Equal(File.ReadAllLines(path), actual, $"lines of {Convert.ToHexString(bytes)} at parallelism {p}");
    }

    [Fact]
    public async Task ReadTextLines_SameFileAtEveryParallelism_GivesTheSameLines()
    {
        var path = _dir.File("same.txt");
        File.WriteAllBytes(path, Content("random-9"));
        var reference = await DataflowEnvironment.CreateLocal(1).ReadTextLines(path).CollectAsync();
        for (int p = 2; p <= 16; p++)
        {
            var actual = await DataflowEnvironment.CreateLocal(p).ReadTextLines(path).CollectAsync();
            Multiset.Equal(reference, actual, $"parallelism {p}");
        }
    }

    // ----- CSV -----

    private static IEnumerable<int> Ps => Parallelisms;

    private string Write(string name, string text, bool bom = false)
    {
        var path = _dir.File(name);
        File.WriteAllBytes(path, bom ? WithBom(text) : Utf8(text));
        return path;
    }

    [Fact]
    public async Task ReadCsv_QuotedFieldsWithSeparatorsAndDoubledQuotes_ParsesFields()
    {
        var rows = new List<(int, string, string)>();
        var sb = new StringBuilder();
        for (int i = 0; i < 600; i++)
        {
            switch (i % 4)
            {
                case 0: sb.Append($"{i},\"hello, world\",\"say \"\"hi\"\"\"\n"); rows.Add((i, "hello, world", "say \"hi\"")); break;
                case 1: sb.Append($"{i},\"\",plain\n"); rows.Add((i, "", "plain")); break;
                case 2: sb.Append($"{i},日本,\"a,b,c\"\r\n"); rows.Add((i, "日本", "a,b,c")); break;
                default: sb.Append($"{i},,\"\"\"\"\n"); rows.Add((i, "", "\"")); break;
            }
        }
        var path = Write("quotes.csv", sb.ToString());
        foreach (int p in Ps)
        {
            var actual = await DataflowEnvironment.CreateLocal(p).ReadCsv(path, row => (row.GetInt32(0), row.GetString(1), row.GetString(2))).CollectAsync();
            Multiset.Equal(rows, actual, $"parallelism {p}");
        }
    }

    [Fact]
    public async Task ReadCsv_HasHeader_SkipsOnlyTheFirstLineAtEveryParallelism()
    {
        var path = Write("header.csv", "id,value\n" + Numbered(2500, "\n", i => $"{i},{i * 1.5}"));
        var format = CsvFormat.Default with { HasHeader = true };
        foreach (int p in Ps)
        {
            // Parsing the header as data would throw; losing or duplicating a row changes the multiset.
            var actual = await DataflowEnvironment.CreateLocal(p).ReadCsv(path, row => (row.GetInt32(0), row.GetDouble(1)), format).CollectAsync();
            Multiset.Equal(Enumerable.Range(0, 2500).Select(i => (i, i * 1.5)), actual, $"parallelism {p}");
        }
    }

    [Fact]
    public async Task ReadCsv_HasHeaderInFileSmallerThanTheSplits_SkipsOnlyTheHeader()
    {
        var path = Write("tiny-header.csv", "h\n1\n2\n");
        var format = CsvFormat.Default with { HasHeader = true };
        foreach (int p in Ps)
        {
            var actual = await DataflowEnvironment.CreateLocal(p).ReadCsv(path, row => row.GetInt32(0), format).CollectAsync();
            Multiset.Equal(new[] { 1, 2 }, actual, $"parallelism {p}");
        }
    }

    [Fact]
    public async Task ReadCsv_FileWithBom_ReadsTheFirstRowAtEveryParallelism()
    {
        var path = Write("bom.csv", "1,2\n3,4\n", bom: true);
        foreach (int p in Ps)
        {
            var actual = await DataflowEnvironment.CreateLocal(p).ReadCsv(path, row => (row.GetInt32(0), row.GetInt32(1))).CollectAsync();
            Multiset.Equal(new[] { (1, 2), (3, 4) }, actual, $"parallelism {p}");
        }
    }

    [Fact]
    public async Task ReadCsv_WhitespaceFormatWithComments_SkipsCommentsAndBlankLines()
    {
        const string block = "# source target\n1 2\n  3\t4  \n\n#5 6\n7    8\n   # indented comment\n9\t\t10\n";
        var text = string.Concat(Enumerable.Repeat(block, 300));
        var path = Write("edges.txt", text);
        var expected = Enumerable.Repeat(new[] { (1L, 2L), (3L, 4L), (7L, 8L), (9L, 10L) }, 300).SelectMany(x => x).ToList();
        foreach (int p in Ps)
        {
            var actual = await DataflowEnvironment.CreateLocal(p)
                .ReadCsv(path, row => { row.ExpectFields(2); return (row.GetInt64(0), row.GetInt64(1)); }, CsvFormat.Whitespace)
                .CollectAsync();
            Multiset.Equal(expected, actual, $"parallelism {p}");
        }
    }

    [Fact]
    public async Task ReadCsv_BlankLinesAndCustomSeparator_SkipsBlankLinesAndKeepsEmptyFields()
    {
        var path = Write("semi.csv", Numbered(400, "\n", i => i % 5 == 0 ? "   " : $"{i};;x;"));
        var format = new CsvFormat { Separator = ';' };
        foreach (int p in Ps)
        {
            var actual = await DataflowEnvironment.CreateLocal(p)
                .ReadCsv(path, row => (row.GetInt32(0), row.Count, row.GetString(1), row.GetString(2), row.GetString(3)), format)
                .CollectAsync();
            var expected = Enumerable.Range(0, 400).Where(i => i % 5 != 0).Select(i => (i, 4, "", "x", ""));
            Multiset.Equal(expected, actual, $"parallelism {p}");
        }
    }
}
