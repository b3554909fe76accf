namespace Dataflow.Runtime.Records;

/// <summary>
/// The push interface between physical operators: a producer hands over a batch of records as a
/// borrowed span and finally closes the collector.
/// </summary>
/// <remarks>
/// The span is only valid during <see cref="Push"/>; a collector that keeps records copies them.
/// Calls come from one thread (the subtask's), so implementations need no synchronization.
/// Virtual dispatch happens once per batch, never per record.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public abstract class Collector<T>
{
    /// <summary>Consumes a batch of records.</summary>
    public abstract void Push(ReadOnlySpan<T> batch);

    /// <summary>Signals that no more records follow; flushes buffered state downstream.</summary>
    public abstract void Close();
}

/// <summary>Buffers single records into batches for a downstream collector.</summary>
/// <remarks>Mutable struct: keep it in a field and never copy it.</remarks>
public struct BatchBuffer<T>
{
    private T[] _items;
    private int _count;

    /// <summary>Creates a buffer of <paramref name="capacity"/> records.</summary>
    public BatchBuffer(int capacity) => _items = new T[capacity];

    /// <summary>Adds one record, pushing a full batch to <paramref name="downstream"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Add(in T item, Collector<T> downstream)
    {
        _items[_count++] = item;
        if (_count == _items.Length)
        {
            Flush(downstream);
        }
    }

    /// <summary>Pushes any buffered records downstream.</summary>
    public void Flush(Collector<T> downstream)
    {
        if (_count > 0)
        {
            var n = _count;
            _count = 0;
            downstream.Push(new ReadOnlySpan<T>(_items, 0, n));
            if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
            {
                Array.Clear(_items, 0, n);
            }
        }
    }
}
