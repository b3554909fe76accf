namespace Dataflow.Operators.Sources;

/// <summary>
/// Reads the lines of one byte range of a file (Hadoop-style splits): a split that does not start
/// at 0 skips the partial line it starts in, and every split reads past its end to finish the line
/// it is in, so each line is read by exactly one split.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _end;
    private byte[] _buffer = new byte[1 << 20];
    private long _bufferOffset; // file offset of _buffer[0]
    private int _pos;
    private int _len;
    private bool _eof;
    private bool _firstLineAfterBom;

    public LineReader(string path, long start, long end)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        _end = end;
        if (start > 0)
        {
            _stream.Position = start - 1;
            _bufferOffset = start - 1;
            // Skip to just after the first newline at or after start - 1.
            while (true)
            {
                if (_pos == _len && !Fill()) return;
                int i = _buffer.AsSpan(_pos, _len - _pos).IndexOf((byte)'\n');
                if (i >= 0)
                {
                    _pos += i + 1;
                    break;
                }
                _pos = _len;
            }
        }
        else
        {
            Fill();
            if (_len >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF)
            {
                _pos = 3;
                _firstLineAfterBom = true;
            }
        }
    }

    /// <summary>Splits a file of <paramref name="length"/> bytes into <paramref name="parts"/> byte ranges.</summary>
    public static (long Start, long End) SplitOf(long length, int part, int parts) =>
        (length * part / parts, length * (part + 1) / parts);

    /// <summary>Reads the next line of the split without its line terminator.</summary>
    /// <param name="line">The line's bytes, valid until the next call.</param>
    /// <param name="offset">File offset of the line's first byte.</param>
    public bool TryReadLine(out ReadOnlySpan<byte> line, out long offset)
    {
        offset = _bufferOffset + _pos;
        // The first line starts at byte 0 (its BOM included) for split ownership: the next split
        // skips it as the line it starts in.
        long owner = _firstLineAfterBom ? 0 : offset;
        _firstLineAfterBom = false;
        if (owner >= _end || (_pos == _len && !Fill()))
        {
            line = default;
            return false;
        }
        int searchFrom = _pos;
        while (true)
        {
            int i = _buffer.AsSpan(searchFrom, _len - searchFrom).IndexOf((byte)'\n');
            if (i >= 0)
            {
                int lineEnd = searchFrom + i;
                line = Trim(_buffer.AsSpan(_pos, lineEnd - _pos));
                _pos = lineEnd + 1;
                return true;
            }
            searchFrom = _len;
            int consumed = _pos;
            if (!Fill())
            {
                // Last line of the file without a trailing newline. Fill may have moved data.
                int rest = _len - _pos;
                line = Trim(_buffer.AsSpan(_pos, rest));
                _pos = _len;
                return rest > 0;
            }
            searchFrom -= consumed - _pos;
        }
    }

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == (byte)'\r' ? line[..^1] : line;

    /// <summary>Moves unread bytes to the front and reads more; false at end of file with nothing new.</summary>
    private bool Fill()
    {
        if (_eof) return false;
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferOffset += _pos;
            _len -= _pos;
            _pos = 0;
        }
        if (_len == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n = _stream.Read(_buffer, _len, _buffer.Length - _len);
        if (n == 0)
        {
            _eof = true;
            return false;
        }
        _len += n;
        return true;
    }

    /// <summary>The 1-based line number of the line starting at <paramref name="offset"/> (counts newlines before it; used only for errors).</summary>
    public static long LineNumberAt(string path, long offset)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buf = new byte[1 << 16];
        long line = 1, read = 0;
        while (read < offset)
        {
            int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, offset - read));
            if (n == 0) break;
            line += buf.AsSpan(0, n).Count((byte)'\n');
            read += n;
        }
        return line;
    }

    public void Dispose() => _stream.Dispose();
}
