using System.Collections.Concurrent;

namespace Dataflow.Runtime.Serialization;

/// <summary>
/// Writes and reads records of type <typeparamref name="T"/>. Batches are the unit: the engine
/// calls <see cref="WriteBatch"/> and <see cref="ReadBatch(ByteReader)"/> once per batch, and value types
/// without references go through as one block copy.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public abstract class Serializer<T>
{
    /// <summary>Writes one record.</summary>
    public abstract void Write(ByteWriter writer, T value);

    /// <summary>Reads one record.</summary>
    public abstract T Read(ByteReader reader);

    /// <summary>Writes a batch (count first).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public virtual void WriteBatch(ByteWriter writer, ReadOnlySpan<T> items)
    {
        writer.WriteVarint((ulong)items.Length);
        foreach (var item in items) Write(writer, item);
    }

    /// <summary>Reads a batch written by <see cref="WriteBatch"/> into an array rented from <see cref="System.Buffers.ArrayPool{T}.Shared"/>; returns the count.</summary>
    public virtual int ReadBatchPooled(ByteReader reader, out T[] items)
    {
        int n = reader.ReadLength();
        items = System.Buffers.ArrayPool<T>.Shared.Rent(Math.Max(1, n));
        for (int i = 0; i < n; i++) items[i] = Read(reader);
        return n;
    }

    /// <summary>Reads a batch written by <see cref="WriteBatch"/>.</summary>
    public virtual T[] ReadBatch(ByteReader reader)
    {
        int n = reader.ReadLength();
        var items = new T[n];
        for (int i = 0; i < n; i++) items[i] = Read(reader);
        return items;
    }

    /// <summary>
    /// Reads a batch written by <see cref="WriteBatch"/> onto the end of <paramref name="into"/>. The
    /// built-in serializers read straight into the list; this default goes through
    /// <see cref="ReadBatch(ByteReader)"/>, so a serializer with its own batch layout stays right.
    /// </summary>
    /// <returns>The number of records read.</returns>
    public virtual int ReadBatch(ByteReader reader, List<T> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var items = ReadBatch(reader);
        into.AddRange(items);
        return items.Length;
    }
}

/// <summary>
/// Chooses the serializer of each type: a user-registered one first, then raw bytes for unmanaged
/// structs, strings, arrays, nullables, and compiled expression trees for value tuples, records and
/// classes with public properties.
/// </summary>
public static class Serializers
{
    private static readonly ConcurrentDictionary<Type, object> s_registered = new();

    /// <summary>Registers <paramref name="serializer"/> for <typeparamref name="T"/>; must happen before the type is first used.</summary>
    public static void Register<T>(Serializer<T> serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        if (Cache<T>.Created) throw new InvalidOperationException($"The serializer of {typeof(T)} was already chosen; register it before the first job.");
        s_registered[typeof(T)] = serializer;
    }

    /// <summary>The serializer of <typeparamref name="T"/>.</summary>
    public static Serializer<T> Get<T>() => Cache<T>.Instance;

    private static class Cache<T>
    {
        private static Serializer<T>? s_instance;

        public static bool Created => s_instance is not null;

        public static Serializer<T> Instance => s_instance ??= Create();

        private static Serializer<T> Create() =>
            s_registered.TryGetValue(typeof(T), out var s) ? (Serializer<T>)s : (Serializer<T>)Choose(typeof(T));
    }

    internal static object Choose(Type t)
    {
        if (t == typeof(string)) return new StringSerializer();
        if (Nullable.GetUnderlyingType(t) is { } inner) return Create(typeof(NullableSerializer<>), inner);
        if (t.IsValueType && !ContainsReferences(t)) return Create(typeof(UnmanagedSerializer<>), t);
        if (t.IsArray && t.GetArrayRank() == 1) return Create(typeof(ArraySerializer<>), t.GetElementType()!);
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>)) return Create(typeof(ListSerializer<>), t.GetGenericArguments()[0]);
        return Create(typeof(ObjectSerializer<>), t);
    }

    private static bool ContainsReferences(Type t) =>
        (bool)typeof(System.Runtime.CompilerServices.RuntimeHelpers).GetMethod(nameof(System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences))!
            .MakeGenericMethod(t).Invoke(null, null)!;

    private static object Create(Type generic, Type arg) => Activator.CreateInstance(generic.MakeGenericType(arg))!;
}

