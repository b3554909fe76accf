using Dataflow.Operators.Sources;

namespace Dataflow.Operators.Tests;

/// <summary>Field splitting and typed field access of <see cref="CsvRow"/>.</summary>
public class CsvRowTests
{
    /// <summary>Splits <paramref name="line"/> and applies <paramref name="read"/> to the row (a ref struct cannot leave this frame).</summary>
    private static T Parse<T>(string line, CsvParser<T> read, CsvFormat? format = null)
    {
        var bounds = new int[2]; // deliberately tiny: Split must grow it
        int n = CsvRow.Split(line, format ?? CsvFormat.Default, ref bounds);
        return read(new CsvRow(line, new ReadOnlySpan<int>(bounds, 0, n)));
    }

    private static string[] Fields(string line, CsvFormat? format = null) =>
        Parse(line, row =>
        {
            var result = new string[row.Count];
            for (int i = 0; i < result.Length; i++) result[i] = row.GetString(i);
            return result;
        }, format);

    [Theory]
    [InlineData("a,b,c", new[] { "a", "b", "c" })]
    [InlineData("", new[] { "" })]
    [InlineData("a,,c", new[] { "a", "", "c" })]
    [InlineData(",a", new[] { "", "a" })]
    [InlineData("a,", new[] { "a", "" })]
    [InlineData(",,", new[] { "", "", "" })]
    [InlineData("\"a,b\",c", new[] { "a,b", "c" })]
    [InlineData("\"a\"\"b\",c", new[] { "a\"b", "c" })]
    [InlineData("x,\"\"", new[] { "x", "" })]
    [InlineData("\"\"\"\"", new[] { "\"" })]
    [InlineData("\"\",\"\"", new[] { "", "" })]
    [InlineData("\"a,\"\"b\"\",c\",d", new[] { "a,\"b\",c", "d" })]
    [InlineData("\"\"\"quoted\"\"\",\"trailing,\"", new[] { "\"quoted\"", "trailing," })]
    [InlineData("  a , b ", new[] { "  a ", " b " })]
    [InlineData("日本,😀,ß", new[] { "日本", "😀", "ß" })]
    [InlineData("a,\"\",", new[] { "a", "", "" })]
    public void Split_DefaultFormat_GivesFields(string line, string[] expected) =>
        Assert.Equal(expected, Fields(line));

    [Theory]
    [InlineData("  1 \t 2  ", new[] { "1", "2" })]
    [InlineData("a  b\tc", new[] { "a", "b", "c" })]
    [InlineData("\t\t ", new string[0])]
    [InlineData("x", new[] { "x" })]
    public void Split_WhitespaceFormat_SplitsOnRunsOfSpacesAndTabs(string line, string[] expected) =>
        Assert.Equal(expected, Fields(line, CsvFormat.Whitespace));

    [Fact]
    public void Split_CustomSeparator_IgnoresCommasAndHonoursQuotes() =>
        Assert.Equal(new[] { "a", "b,c", "d;e", "" }, Fields("a;b,c;\"d;e\";", new CsvFormat { Separator = ';' }));

    [Fact]
    public void Split_ManyFields_GrowsTheBoundsArray()
    {
        var values = Enumerable.Range(0, 300).Select(i => i % 3 == 0 ? $"\"{i},{i}\"" : i.ToString()).ToArray();
        var fields = Fields(string.Join(',', values));
        Assert.Equal(values.Select(v => v.Trim('"')), fields);
    }

    [Theory]
    [InlineData("\"abc", "unterminated quoted field")]
    [InlineData("\"", "unterminated quoted field")]
    [InlineData("a,\"b", "unterminated quoted field")]
    [InlineData("\"a\"\"", "unterminated quoted field")]
    [InlineData("\"a\"b,c", "expected ',' after a quoted field")]
    public void Split_MalformedQuotes_ThrowsFormatException(string line, string message)
    {
        var ex = Assert.Throws<FormatException>(() => Fields(line));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Indexer_QuotedFieldWithDoubledQuotes_ReturnsRawTextWhileGetStringUnescapes()
    {
        var (raw, text, line) = Parse("1,\"say \"\"hi\"\"\"", row => (row[1].ToString(), row.GetString(1), row.Line.ToString()));
        Assert.Equal("say \"\"hi\"\"", raw);
        Assert.Equal("say \"hi\"", text);
        Assert.Equal("1,\"say \"\"hi\"\"\"", line);
    }

    [Fact]
    public void TypedGetters_ValidFields_ParseInvariantCulture()
    {
        var v = Parse("-12,9000000000,1.5e3,-0.25,\"7\"", row => (row.GetInt32(0), row.GetInt64(1), row.GetDouble(2), row.GetDouble(3), row.GetInt32(4)));
        Assert.Equal((-12, 9_000_000_000L, 1500.0, -0.25, 7), v);
    }

    [Theory]
    [InlineData("1,abc", 1, "field 2: expected an integer, found 'abc'")]
    [InlineData("1,2147483648", 1, "field 2: expected an integer, found '2147483648'")]
    [InlineData("1,", 1, "field 2: expected an integer, found ''")]
    [InlineData("1.5,2", 0, "field 1: expected an integer, found '1.5'")]
    public void GetInt32_BadField_ThrowsWithFieldNumberAndText(string line, int index, string message)
    {
        var ex = Assert.Throws<FormatException>(() => Parse(line, row => row.GetInt32(index)));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void GetDouble_BadField_ThrowsWithFieldNumberAndText()
    {
        var ex = Assert.Throws<FormatException>(() => Parse("1.5.3", row => row.GetDouble(0)));
        Assert.Equal("field 1: expected a number, found '1.5.3'", ex.Message);
    }

    [Fact]
    public void TypedGetters_ControlCharactersOrLongField_EscapedAndCutInMessage()
    {
        var ex = Assert.Throws<FormatException>(() => Parse("1,\u0007\u001b[2J", row => row.GetDouble(1)));
        Assert.Equal("field 2: expected a number, found '\\u0007\\u001B[2J'", ex.Message);
        ex = Assert.Throws<FormatException>(() => Parse(new string('9', 300) + "x", row => row.GetInt64(0)));
        Assert.Equal($"field 1: expected an integer, found '{new string('9', 100)}'... (301 characters)", ex.Message);
    }

    [Theory]
    [InlineData("a,b", 2, "expected at least 3 fields, found 2")]
    [InlineData("a", 1, "expected at least 2 fields, found 1")]
    [InlineData("a,b,c", 9, "expected at least 10 fields, found 3")]
    public void Getters_MissingField_ThrowWithExpectedAndFoundCounts(string line, int index, string message)
    {
        Assert.Equal(message, Assert.Throws<FormatException>(() => Parse(line, row => row.GetString(index))).Message);
        Assert.Equal(message, Assert.Throws<FormatException>(() => Parse(line, row => row.GetInt64(index))).Message);
        Assert.Equal(message, Assert.Throws<FormatException>(() => Parse(line, row => row[index].Length)).Message);
    }

    [Fact]
    public void ExpectFields_WrongCount_ThrowsWithExpectedAndFoundCounts()
    {
        var ex = Assert.Throws<FormatException>(() => Parse("1 2", row => { row.ExpectFields(3); return 0; }, CsvFormat.Whitespace));
        Assert.Equal("expected 3 fields, found 2", ex.Message);
        Assert.Equal(2, Parse("1 2", row => { row.ExpectFields(2); return row.Count; }, CsvFormat.Whitespace));
    }
}
