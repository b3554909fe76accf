using System.Buffers;
using System.Runtime.CompilerServices;

namespace Dataflow.Runtime.Serialization;

/// <summary>
/// Moves the batches of one job edge over the network without knowing their type at the call site:
/// the sender writes a pooled batch and returns it to the pool, the receiver reads into a pooled
/// batch. One virtual call per batch; the records themselves go through the type's serializer.
/// </summary>
public abstract class BatchCodec
{
    /// <summary>The record type.</summary>
    public abstract Type RecordType { get; }

    /// <summary>Writes <paramref name="count"/> records of the batch <paramref name="items"/>.</summary>
    public abstract void Write(ByteWriter writer, Array items, int count);

    /// <summary>Reads a batch into a pooled array; returns the count.</summary>
    public abstract int Read(ByteReader reader, out Array items);

    /// <summary>Returns a batch to the pool.</summary>
    public abstract void Return(Array items, int count);

    /// <summary>The codec of <typeparamref name="T"/> (its serializer is chosen on first use).</summary>
    public static BatchCodec For<T>() => new Typed<T>();

    private sealed class Typed<T> : BatchCodec
    {
        private Serializer<T>? _serializer;

        private Serializer<T> Serializer => _serializer ??= Serializers.Get<T>();

        public override Type RecordType => typeof(T);

        public override void Write(ByteWriter writer, Array items, int count) =>
            Serializer.WriteBatch(writer, new ReadOnlySpan<T>((T[])items, 0, count));

        public override int Read(ByteReader reader, out Array items)
        {
            int n = Serializer.ReadBatchPooled(reader, out var typed);
            items = typed;
            return n;
        }

        public override void Return(Array items, int count)
        {
            var typed = (T[])items;
            if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) Array.Clear(typed, 0, count);
            ArrayPool<T>.Shared.Return(typed);
        }
    }
}
