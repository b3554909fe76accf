using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Dataflow.Runtime.Serialization;

/// <summary>Reads what a <see cref="ByteWriter"/> wrote; every read is bounds-checked, so malformed input throws <see cref="SerializationException"/>, never reads past the end.</summary>
public sealed class ByteReader
{
    private ReadOnlyMemory<byte> _memory;
    private int _position;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public ByteReader(ReadOnlyMemory<byte> data) => _memory = data;

    /// <summary>Bytes left to read.</summary>
    public int Remaining => _memory.Length - _position;

    /// <summary>Starts reading <paramref name="data"/> from the beginning.</summary>
    public void Reset(ReadOnlyMemory<byte> data)
    {
        _memory = data;
        _position = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int bytes)
    {
        if ((uint)bytes > (uint)(_memory.Length - _position)) ThrowTruncated(bytes);
        var span = _memory.Span.Slice(_position, bytes);
        _position += bytes;
        return span;
    }

    private void ThrowTruncated(int bytes) =>
        throw new SerializationException($"Truncated input: needed {bytes} bytes at offset {_position}, {Remaining} left.");

    /// <summary>Reads an unmanaged value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Read<T>() where T : unmanaged => Unsafe.ReadUnaligned<T>(ref MemoryMarshal.GetReference(Take(Unsafe.SizeOf<T>())));

    /// <summary>Reads <paramref name="target"/>.Length unmanaged values written as one block.</summary>
    public void ReadSpan<T>(Span<T> target) where T : unmanaged => Take(target.Length * Unsafe.SizeOf<T>()).CopyTo(MemoryMarshal.AsBytes(target));

    /// <summary>Reads raw bytes.</summary>
    public ReadOnlySpan<byte> ReadBytes(int count) => Take(count);

    /// <summary>Reads an LEB128 varint.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadVarint()
    {
        // Most varints (lengths, counts) take one byte.
        var span = _memory.Span;
        if ((uint)_position < (uint)span.Length && span[_position] < 0x80) return span[_position++];
        return ReadLongVarint();
    }

    // Also called on the first record of a move, before the runtime would have optimized it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong ReadLongVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            byte b = Take(1)[0];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
        throw new SerializationException("Malformed varint.");
    }

    /// <summary>Reads a length written as a varint, checking it against the bytes left (each element takes at least <paramref name="minBytesPerElement"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadLength(int minBytesPerElement = 1)
    {
        ulong n = ReadVarint();
        if (n > (ulong)Remaining / (ulong)Math.Max(1, minBytesPerElement) + 1 || n > int.MaxValue) ThrowLength(n);
        return (int)n;
    }

    private void ThrowLength(ulong n) => throw new SerializationException($"Length {n} exceeds the {Remaining} bytes left.");

    /// <summary>Reads a string written by <see cref="ByteWriter.WriteString"/>.</summary>
    public string? ReadString()
    {
        int n = ReadLength();
        if (n == 0) return null;
        return Encoding.UTF8.GetString(Take(n - 1));
    }
}

/// <summary>Input that is not a valid serialized form.</summary>
public sealed class SerializationException(string message) : Exception(message);
