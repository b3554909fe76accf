using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Tests;

/// <summary>Collects what an operator emits, and whether it closed its output.</summary>
internal sealed class ListCollector<T> : Collector<T>
{
    public List<T> Items { get; } = new();

    public bool Closed { get; private set; }

    public override void Push(ReadOnlySpan<T> batch) => Items.AddRange(batch);

    public override void Close() => Closed = true;
}
