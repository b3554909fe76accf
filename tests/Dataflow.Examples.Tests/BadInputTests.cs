using System.Globalization;

namespace Dataflow.Examples.Tests;

/// <summary>The example programs given bad input, as a careless user gives it: each fails with a clear message and exit code 1.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-bad-input-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private static (int Exit, string Out, string Err) Run(string program, params string[] args) =>
        ExampleProcess.Run(program, [.. args, "--parallelism", "2"]);

    private string Centroids4 => File("c4.csv", "1,2,3,4\n5,6,7,8\n");

    [Fact]
    public void KMeansProgram_MismatchedDimensions_ExitsNonZeroNamingBothFilesAndCounts()
    {
        var points = File("p4.csv", "1,2,3,4\n5,6,7,8\n1,1,1,1\n");
        var centroids = File("c3.csv", "1,2,3\n4,5,6\n");
        var (exit, stdout, stderr) = Run("KMeans", "--points", points, "--centroids", centroids, "--iterations", "2");
        Assert.Equal(1, exit);
        Assert.Contains($"points file {points} has 4 dimensions but centroids file {centroids} has 3", stderr);
        Assert.DoesNotContain("centroids in", stdout);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e999")]
    public void KMeansProgram_NonFinitePoint_ExitsNonZeroWithPathAndLine(string value)
    {
        var points = File("p.csv", $"1,2,3,4\n5,6,7,8\n{value},6,7,8\n1,1,1,1\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4, "--iterations", "2");
        Assert.Equal(1, exit);
        Assert.Contains($"{points}:3: field 1: expected a finite number, found '{value}'", stderr);
    }

    [Fact]
    public void KMeansProgram_NaNCentroid_ExitsNonZeroWithPathAndLine()
    {
        var points = File("p.csv", "1,2,3,4\n5,6,7,8\n");
        var centroids = File("c.csv", "1,2,3,4\n\n5,NaN,7,8\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", centroids);
        Assert.Equal(1, exit);
        Assert.Contains($"{centroids}:3: field 2: expected a finite number, found 'NaN'", stderr);
    }

    [Fact]
    public void KMeansProgram_ThreeFieldRow_ExitsNonZeroWithPathAndLine()
    {
        var points = File("p.csv", "1,2,3,4\n5,6,7,8\n5,6,7\n1,1,1,1\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4, "--iterations", "2");
        Assert.Equal(1, exit);
        Assert.Contains($"{points}:3: expected 4 fields like the first row, found 3", stderr);
        Assert.DoesNotContain("IndexOutOfRange", stderr);
    }

    [Fact]
    public void KMeansProgram_LineOver1MiB_ExitsNonZeroWithPathAndLine()
    {
        var hugeRow = string.Join(',', Enumerable.Repeat("1", 600_000)); // 1.2 M characters
        var points = File("p.csv", $"1,2,3,4\n{hugeRow}\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4, "--iterations", "2");
        Assert.Equal(1, exit);
        Assert.Contains($"{points}:2: line of {hugeRow.Length} characters; at most 1048576 are accepted", stderr);

        var centroids = File("c.csv", $"{hugeRow}\n");
        (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", centroids);
        Assert.Equal(1, exit);
        Assert.Contains($"{centroids}:1: line longer than 1048576 characters", stderr);
    }

    [Fact]
    public void KMeansProgram_FirstRowOver10000Fields_ExitsNonZeroWithPathAndLine()
    {
        var wide = string.Join(',', Enumerable.Repeat("1", 10_001));
        var points = File("p.csv", $"\n{wide}\n");
        var centroids = File("c.csv", $"{wide}\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", centroids);
        Assert.Equal(1, exit);
        Assert.Contains($"{centroids}:1: 10001 fields; at most 10000 are accepted", stderr);

        (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4);
        Assert.Equal(1, exit);
        Assert.Contains($"{points}:2: 10001 fields; at most 10000 are accepted", stderr);
    }

    [Fact]
    public void KMeansProgram_SkipInvalid_PrintsSkippedCountsAndClustersTheValidRows()
    {
        const string valid = "1,2,3,4\n5,6,7,8\n1,1,1,1\n6,6,6,6\n";
        var clean = File("clean.csv", valid);
        var dirty = File("dirty.csv", "1,2,3,4\nNaN,1,1,1\n5,6,7,8\n1,1,1\n1,1,1,1\nx,1,1,1\n6,6,6,6\n");
        var centroids = File("c.csv", "1,2,3,4\n1,Infinity,1,1\n5,6,7,8\n");
        var expectedOut = Path.Combine(_dir, "expected.csv");
        var actualOut = Path.Combine(_dir, "actual.csv");
        var (exit, _, stderr) = Run("KMeans", "--points", clean, "--centroids", Centroids4, "--iterations", "3", "--output", expectedOut);
        Assert.True(exit == 0, stderr);

        var (exit2, stdout, stderr2) = Run("KMeans", "--points", dirty, "--centroids", centroids, "--iterations", "3", "--output", actualOut, "--skip-invalid");
        Assert.True(exit2 == 0, stderr2);
        Assert.Contains($"skipped 1 invalid rows of centroids file {centroids}", stdout);
        Assert.Contains($"skipped 3 invalid rows of points file {dirty}", stdout);
        Assert.Equal(System.IO.File.ReadAllText(expectedOut), System.IO.File.ReadAllText(actualOut));
    }

    [Fact]
    public void KMeansProgram_SkipInvalidAndNoValidPoint_ExitsNonZeroSayingSo()
    {
        var points = File("p.csv", "NaN,1,1,1\n1,1,x,1\n");
        var (exit, stdout, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4, "--skip-invalid");
        Assert.Equal(1, exit);
        Assert.Contains($"skipped 2 invalid rows of points file {points}", stdout);
        Assert.Contains($"points file {points} has no valid rows (2 skipped)", stderr);
    }

    [Theory]
    [InlineData("PageRank", "--iterations", "3")]
    [InlineData("ConnectedComponents")]
    public void GraphProgram_NegativeOrNonNumericId_ExitsNonZeroWithPathAndLine(string program, params string[] extra)
    {
        var edges = File("neg.edges", "# comment\n1 2\n2 -3\n3 1\n");
        var (exit, _, stderr) = Run(program, ["--edges", edges, .. extra]);
        Assert.Equal(1, exit);
        Assert.Contains($"{edges}:3: field 2: expected a non-negative vertex id, found '-3'", stderr);

        edges = File("nan.edges", "1 2\n2 3\nNaN 1\n");
        (exit, _, stderr) = Run(program, ["--edges", edges, .. extra]);
        Assert.Equal(1, exit);
        Assert.Contains($"{edges}:3: field 1: expected an integer, found 'NaN'", stderr);
    }

    [Fact]
    public void ConnectedComponentsProgram_SkipInvalid_PrintsSkippedCountsAndUsesTheValidRows()
    {
        var edges = File("g.edges", "# comment\n1 2\n2 -3\n3 4\n5 x\n2 3 4\n");
        var vertices = File("g.vertices", "1\n7\n-8\n");
        var output = Path.Combine(_dir, "components.tsv");
        var (exit, stdout, stderr) = Run("ConnectedComponents", "--edges", edges, "--vertices", vertices, "--output", output, "--skip-invalid");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"skipped 3 invalid rows of edges file {edges}", stdout);
        Assert.Contains($"skipped 1 invalid rows of vertices file {vertices}", stdout);
        var components = TestData.ReadTsvLongs(output);
        Assert.Equal(new[] { (1L, 1L), (2L, 1L), (3L, 3L), (4L, 3L), (7L, 7L) }, components.Select(c => (c.Key, c.Value)).Order());
    }

    public static TheoryData<string, string, string[]> EmptyInputs() => new()
    {
        { "KMeans", "points", ["--points", "{empty}", "--centroids", "{c4}"] },
        { "KMeans", "centroids", ["--points", "{c4}", "--centroids", "{empty}"] },
        { "PageRank", "edges", ["--edges", "{empty}"] },
        { "ConnectedComponents", "edges", ["--edges", "{empty}"] },
        { "ConnectedComponents", "vertices", ["--edges", "{edges}", "--vertices", "{empty}"] },
    };

    [Theory]
    [MemberData(nameof(EmptyInputs))]
    public void ExampleProgram_InputWithoutRows_ExitsNonZeroSayingNoRows(string program, string role, string[] args)
    {
        // Blank lines and comments only: no rows, but not an empty file either.
        var empty = File("empty.txt", "\n   \n# nothing here\n");
        if (program == "KMeans") empty = File("empty.csv", "\n   \n");
        var files = new Dictionary<string, string> { ["{empty}"] = empty, ["{c4}"] = Centroids4, ["{edges}"] = File("e.edges", "1 2\n") };
        var (exit, stdout, stderr) = Run(program, [.. args.Select(a => files.GetValueOrDefault(a, a))]);
        Assert.Equal(1, exit);
        Assert.Contains($"{role} file {empty} has no rows", stderr);
        Assert.DoesNotContain("parallelism", stdout);
    }

    [Fact]
    public void WordCountProgram_InputWithoutWords_ExitsNonZeroSayingSo()
    {
        var input = File("blank.txt", "  \n\n \r\n");
        var (exit, _, stderr) = Run("WordCount", "--input", input);
        Assert.Equal(1, exit);
        Assert.Contains($"input file {input} has no words", stderr);
    }

    [Fact]
    public void KMeansProgram_ControlCharactersInInput_EscapedInMessage()
    {
        // Through the engine's CSV reader (points) and the driver's reader (centroids).
        var points = File("p.csv", "1,2,3,4\n5,\a6\u001b[2J,7,8\n");
        var (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", Centroids4);
        Assert.Equal(1, exit);
        Assert.Contains($"{points}:2: field 2: expected a number, found '\\u00076\\u001B[2J'", stderr);
        Assert.DoesNotContain("\a", stderr);
        Assert.DoesNotContain("\u001b", stderr);

        var centroids = File("c.csv", "1,2,3,4\n1,2,\u202Eevil,4\n");
        (exit, _, stderr) = Run("KMeans", "--points", points, "--centroids", centroids);
        Assert.Equal(1, exit);
        Assert.Contains($"{centroids}:2: field 3: expected a finite number, found '\\u202Eevil'", stderr);
        Assert.DoesNotContain("\u202E", stderr);
    }

    [Theory]
    [InlineData("a\u0007b", "'a\\u0007b'")]
    [InlineData("tab\there\r\n", "'tab\\u0009here\\u000D\\u000A'")]
    [InlineData("\u202Eright-to-left\u200B", "'\\u202Eright-to-left\\u200B'")]
    [InlineData("caf\u00e9 \U0001F600", "'caf\u00e9 \U0001F600'")]
    [InlineData("\u0085\u2028", "'\\u0085\\u2028'")]
    public void Quote_ControlAndInvisibleCharacters_EscapedAsUnicode(string text, string expected) =>
        Assert.Equal(expected, InputFormatException.Quote(text));

    [Fact]
    public void Quote_TextLongerThanLimit_CutWithItsLength()
    {
        var text = new string('x', 250);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"'{new string('x', 100)}'... (250 characters)"), InputFormatException.Quote(text));
        // An unpaired surrogate is escaped; a pair straddling the cut is dropped whole, not halved.
        Assert.Equal("'lone \\uD800'", InputFormatException.Quote("lone \uD800"));
        Assert.Equal("'ab'... (4 characters)", InputFormatException.Quote("ab\U0001F600", maxLength: 3));
    }
}
