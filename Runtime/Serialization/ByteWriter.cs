using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Dataflow.Runtime.Serialization;

/// <summary>
/// An append-only byte buffer that serializers write into. Multi-byte values are little-endian
/// (the layout of every platform .NET runs the engine on); lengths are LEB128 varints.
/// </summary>
public sealed class ByteWriter : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates a writer with an initial capacity.</summary>
    public ByteWriter(int capacity = 4096) => _buffer = new byte[Math.Max(16, capacity)];

    /// <summary>Bytes written so far.</summary>
    public int Length => _length;

    /// <summary>Bytes the buffer holds before it grows.</summary>
    public int Capacity => _buffer.Length;

    /// <summary>The bytes written so far.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(_buffer, 0, _length);

    /// <summary>The bytes written so far, writable (for a header filled in after the payload).</summary>
    public Span<byte> WrittenSpanMutable => new(_buffer, 0, _length);

    /// <summary>The bytes written so far.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(_buffer, 0, _length);

    /// <summary>Forgets the contents, keeping the buffer.</summary>
    public void Clear() => _length = 0;

    /// <inheritdoc />
    public void Advance(int count) => _length += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(1, sizeHint));
        return _buffer.AsMemory(_length);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(1, sizeHint));
        return _buffer.AsSpan(_length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int bytes)
    {
        if (_buffer.Length - _length < bytes) Grow(bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int bytes) => Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));

    /// <summary>Writes raw bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Writes an unmanaged value as its raw little-endian bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write<T>(T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        Ensure(size);
        Unsafe.WriteUnaligned(ref _buffer[_length], value);
        _length += size;
    }

    /// <summary>Writes a span of unmanaged values as one block of raw bytes.</summary>
    public void WriteSpan<T>(ReadOnlySpan<T> values) where T : unmanaged => WriteBytes(MemoryMarshal.AsBytes(values));

    /// <summary>Writes a non-negative integer as an LEB128 varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteVarint(ulong value)
    {
        // Most varints (lengths, counts) take one byte.
        if (value < 0x80 && _length < _buffer.Length)
        {
            _buffer[_length++] = (byte)value;
            return;
        }
        WriteLongVarint(value);
    }

    // Also called on the first record of a move, before the runtime would have optimized it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteLongVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    /// <summary>Writes a string: varint (UTF-8 length + 1, 0 for null), then its UTF-8 bytes.</summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteVarint(0);
            return;
        }
        int bytes = Encoding.UTF8.GetByteCount(value);
        WriteVarint((ulong)bytes + 1);
        Ensure(bytes);
        _length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Writes a 32-bit length prefix placeholder and returns its position, for frames.</summary>
    public int ReserveInt32()
    {
        Ensure(4);
        int at = _length;
        _length += 4;
        return at;
    }

    /// <summary>Fills a placeholder from <see cref="ReserveInt32"/>.</summary>
    public void PatchInt32(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(at), value);
}
