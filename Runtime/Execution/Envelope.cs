namespace Dataflow.Runtime.Execution;

/// <summary>What travels through a subtask's input queue: a pooled batch, or the end of one producer's stream.</summary>
/// <param name="Input">Index of the consuming subtask's logical input.</param>
/// <param name="Items">A pooled <c>T[]</c> whose ownership passes to the consumer; null for an end marker.</param>
/// <param name="Count">Number of valid records in <paramref name="Items"/>.</param>
public readonly record struct Envelope(int Input, Array? Items, int Count)
{
    /// <summary>True when this envelope marks the end of one producer's stream on <see cref="Input"/>.</summary>
    public bool IsEnd => Items is null;

    /// <summary>An end marker for <paramref name="input"/>.</summary>
    public static Envelope End(int input) => new(input, null, 0);
}
