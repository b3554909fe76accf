using System.Collections;

namespace Dataflow;

/// <summary>
/// The contents of a broadcast data set as one subtask sees them: every record of the set, in an
/// array the engine fills before the first main record arrives. Read-only by contract.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class BroadcastSet<T> : IReadOnlyList<T>
{
    private T[] _items = [];

    /// <summary>The records as a span (fastest access).</summary>
    public ReadOnlySpan<T> Span => _items;

    /// <inheritdoc />
    public int Count => _items.Length;

    /// <inheritdoc />
    public T this[int index] => _items[index];

    internal void Set(T[] items) => _items = items;

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();
}
