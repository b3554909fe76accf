using System.Text;
using Dataflow.Operators.Sources;

namespace Dataflow.Operators.Tests;

/// <summary>Byte-range splits of <see cref="LineReader"/>: together they must read every line exactly once.</summary>
public sealed class LineReaderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dataflow-linereader-" + Guid.NewGuid().ToString("N"));

    public LineReaderTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(byte[] bytes)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>All lines of all <paramref name="parts"/> splits, with their line numbers.</summary>
    private static List<(string Line, long Number)> ReadAll(string path, int parts)
    {
        long length = new FileInfo(path).Length;
        var result = new List<(string, long)>();
        for (int p = 0; p < parts; p++)
        {
            var (start, end) = LineReader.SplitOf(length, p, parts);
            using var reader = new LineReader(path, start, end);
            while (reader.TryReadLine(out var line, out long offset))
            {
                result.Add((Encoding.UTF8.GetString(line), LineReader.LineNumberAt(path, offset)));
            }
        }
        return result;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(13)]
    [InlineData(40)]
    public void SplitOf_Parts_CoverTheFileContiguously(int parts)
    {
        foreach (long length in new long[] { 0, 1, 7, 39, 40, 1000, 1L << 33 })
        {
            long next = 0;
            for (int p = 0; p < parts; p++)
            {
                var (start, end) = LineReader.SplitOf(length, p, parts);
                Assert.Equal(next, start);
                Assert.True(end >= start);
                next = end;
            }
            Assert.Equal(length, next);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void TryReadLine_AllSplitsOfRandomFiles_ReadEveryLineOnceWithItsNumber(int seed, bool crlf)
    {
        var r = new Random(seed);
        var lines = Enumerable.Range(0, 300)
            .Select(i => i % 7 == 3 ? "" : new string((char)('a' + i % 26), 1 + r.Next(i % 50 == 0 ? 3000 : 30))).ToList();
        var path = Write(Encoding.UTF8.GetBytes(string.Join(crlf ? "\r\n" : "\n", lines)));
        foreach (int parts in new[] { 1, 2, 3, 7, 16, 64 })
        {
            var read = ReadAll(path, parts).OrderBy(x => x.Number).ToList();
            Assert.Equal(lines, read.Select(x => x.Line));
            Assert.Equal(Enumerable.Range(1, lines.Count).Select(i => (long)i), read.Select(x => x.Number));
        }
    }

    [Fact]
    public void TryReadLine_LineLongerThanTheBuffer_IsReadWhole()
    {
        var longLine = new string('x', (1 << 21) + 5);
        var path = Write(Encoding.UTF8.GetBytes("a\n" + longLine + "\nb"));
        foreach (int parts in new[] { 1, 2, 5 })
        {
            Assert.Equal(new[] { "a", longLine, "b" }, ReadAll(path, parts).OrderBy(x => x.Number).Select(x => x.Line));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    public void TryReadLine_SmallFileWithBom_ReadsFirstLineWithoutBomOnce(int parts)
    {
        // 3 BOM bytes + "ab\ncd\n": the first split may end inside or right after the BOM.
        var path = Write([0xEF, 0xBB, 0xBF, (byte)'a', (byte)'b', (byte)'\n', (byte)'c', (byte)'d', (byte)'\n']);
        Assert.Equal(new[] { "ab", "cd" }, ReadAll(path, parts).Select(x => x.Line).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LineNumberAt_Offsets_CountsNewlinesBefore()
    {
        var path = Write(Encoding.UTF8.GetBytes("ab\r\n\ncd\né\n"));
        Assert.Equal(1, LineReader.LineNumberAt(path, 0));
        Assert.Equal(2, LineReader.LineNumberAt(path, 4));
        Assert.Equal(3, LineReader.LineNumberAt(path, 5));
        Assert.Equal(4, LineReader.LineNumberAt(path, 8));
    }
}
