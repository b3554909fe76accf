using System.Runtime.CompilerServices;

namespace Dataflow.Runtime.Exchange;

/// <summary>
/// The batches that move records between tasks, recycled per record type. A batch is rented on the producer's thread
/// and returned on the consumer's, and the subtask threads of a superstep end at its barrier: the shared
/// <see cref="System.Buffers.ArrayPool{T}"/> keeps arrays per thread and a few per core, so most batches returned on
/// another (soon dead) thread were lost and every superstep allocated them again. This pool is one stack for all threads.
/// </summary>
/// <remarks>A lock per batch of (typically) 1 024 records costs nothing measurable; at most <see cref="Capacity"/> batches are kept per type.</remarks>
internal static class BatchPool<T>
{
    /// <summary>Batches kept at most: enough for every queue of a busy job (a queue holds a few batches per producer).</summary>
    public const int Capacity = 512;

    private static readonly Lock Gate = new();
    private static readonly T[]?[] Stack = new T[Capacity][];
    private static int _count;

    /// <summary>A batch of at least <paramref name="length"/> records (contents undefined).</summary>
    public static T[] Rent(int length)
    {
        lock (Gate)
        {
            while (_count > 0)
            {
                var a = Stack[--_count]!;
                Stack[_count] = null;
                if (a.Length >= length) return a;
            }
        }
        return RuntimeHelpers.IsReferenceOrContainsReferences<T>() ? new T[length] : GC.AllocateUninitializedArray<T>(length);
    }

    /// <summary>Keeps <paramref name="batch"/> for a later <see cref="Rent"/> (the caller has cleared any references in it).</summary>
    public static void Return(T[] batch)
    {
        lock (Gate)
        {
            if (_count < Capacity) Stack[_count++] = batch;
        }
    }
}
