using System.Diagnostics.CodeAnalysis;
using Dataflow.Runtime.Execution;

namespace Dataflow;

/// <summary>Hands records one at a time to a downstream collector in batches; given to user flat-map functions.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class Emitter<T>
{
    private readonly T[] _buffer;
    private readonly Runtime.Records.Collector<T> _downstream;
    private int _count;

    internal Emitter(Runtime.Records.Collector<T> downstream, int batchSize)
    {
        _downstream = downstream;
        _buffer = new T[batchSize];
    }

    /// <summary>Emits one record.</summary>
    public void Emit(T item)
    {
        _buffer[_count++] = item;
        if (_count == _buffer.Length) Flush();
    }

    internal void Flush()
    {
        if (_count == 0) return;
        int n = _count;
        _count = 0;
        _downstream.Push(new ReadOnlySpan<T>(_buffer, 0, n));
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) Array.Clear(_buffer, 0, n);
    }
}
