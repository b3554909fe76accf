using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dataflow.Runtime.Serialization;

/// <summary>Structs without references: their raw bytes; a batch is one block copy.</summary>
public sealed class UnmanagedSerializer<T> : Serializer<T> where T : unmanaged
{
    /// <inheritdoc />
    public override void Write(ByteWriter writer, T value) => writer.Write(value);

    /// <inheritdoc />
    public override T Read(ByteReader reader) => reader.Read<T>();

    /// <inheritdoc />
    public override void WriteBatch(ByteWriter writer, ReadOnlySpan<T> items)
    {
        writer.WriteVarint((ulong)items.Length);
        writer.WriteSpan(items);
    }

    /// <inheritdoc />
    public override int ReadBatchPooled(ByteReader reader, out T[] items)
    {
        int n = reader.ReadLength(System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        items = System.Buffers.ArrayPool<T>.Shared.Rent(Math.Max(1, n));
        reader.ReadSpan<T>(items.AsSpan(0, n));
        return n;
    }

    /// <inheritdoc />
    public override T[] ReadBatch(ByteReader reader)
    {
        int n = reader.ReadLength(System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        var items = new T[n];
        reader.ReadSpan<T>(items);
        return items;
    }

    /// <inheritdoc />
    public override int ReadBatch(ByteReader reader, List<T> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int n = reader.ReadLength(System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        if ((long)n * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() > reader.Remaining)
        {
            throw new SerializationException($"A batch of {n} values needs more than the {reader.Remaining} bytes left.");
        }
        int at = into.Count;
        CollectionsMarshal.SetCount(into, at + n);
        reader.ReadSpan<T>(CollectionsMarshal.AsSpan(into).Slice(at, n));
        return n;
    }
}

/// <summary>Strings as UTF-8 with a length prefix (null preserved).</summary>
public sealed class StringSerializer : Serializer<string>
{
    /// <inheritdoc />
    public override void Write(ByteWriter writer, string value) => writer.WriteString(value);

    /// <inheritdoc />
    public override string Read(ByteReader reader) => reader.ReadString()!;
}

/// <summary>Nullable value types: a presence byte, then the value.</summary>
public sealed class NullableSerializer<T> : Serializer<T?> where T : struct
{
    private readonly Serializer<T> _inner = Serializers.Get<T>();

    /// <inheritdoc />
    public override void Write(ByteWriter writer, T? value)
    {
        writer.Write(value.HasValue);
        if (value.HasValue) _inner.Write(writer, value.Value);
    }

    /// <inheritdoc />
    public override T? Read(ByteReader reader) => reader.Read<bool>() ? _inner.Read(reader) : null;
}

/// <summary>Arrays: length + 1 (0 for null), then the elements (one block for unmanaged elements).</summary>
public sealed class ArraySerializer<T> : Serializer<T[]>
{
    private readonly Serializer<T> _element = Serializers.Get<T>();

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Write(ByteWriter writer, T[] value)
    {
        if (value is null)
        {
            writer.WriteVarint(0);
            return;
        }
        writer.WriteVarint((ulong)value.Length + 1);
        if (!System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            writer.WriteBytes(AsBytes(value));
            return;
        }
        foreach (var x in value) _element.Write(writer, x);
    }

    private static Span<byte> AsBytes(T[] array) =>
        MemoryMarshal.CreateSpan(ref System.Runtime.CompilerServices.Unsafe.As<T, byte>(ref MemoryMarshal.GetArrayDataReference(array)),
            array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override T[] Read(ByteReader reader)
    {
        int n = reader.ReadLength();
        if (n == 0) return null!;
        var result = new T[n - 1];
        if (!System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            reader.ReadBytes(result.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()).CopyTo(AsBytes(result));
            return result;
        }
        for (int i = 0; i < result.Length; i++) result[i] = _element.Read(reader);
        return result;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void WriteBatch(ByteWriter writer, ReadOnlySpan<T[]> items)
    {
        writer.WriteVarint((ulong)items.Length);
        foreach (var item in items) Write(writer, item); // sealed: a direct call
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override int ReadBatch(ByteReader reader, List<T[]> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int n = reader.ReadLength();
        into.EnsureCapacity(into.Count + n);
        int at = into.Count;
        try
        {
            for (int i = 0; i < n; i++) into.Add(Read(reader));
        }
        catch (SerializationException)
        {
            into.RemoveRange(at, into.Count - at); // a batch reads in whole or not at all
            throw;
        }
        return n;
    }
}

/// <summary>Lists: as arrays.</summary>
public sealed class ListSerializer<T> : Serializer<List<T>>
{
    private readonly ArraySerializer<T> _array = new();

    /// <inheritdoc />
    public override void Write(ByteWriter writer, List<T> value) => _array.Write(writer, value?.ToArray()!);

    /// <inheritdoc />
    public override List<T> Read(ByteReader reader) => _array.Read(reader) is { } a ? new List<T>(a) : null!;
}
