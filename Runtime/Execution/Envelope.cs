namespace Dataflow.Runtime.Execution;

/// <summary>What travels through a subtask's input queue: a pooled batch, or the end of one producer's stream.</summary>
/// <param name="Input">Index of the consuming subtask's logical input.</param>
/// <param name="Items">A pooled <c>T[]</c> whose ownership passes to the consumer; null for an end marker.</param>
/// <param name="Count">Number of valid records in <paramref name="Items"/>.</param>
/// <param name="Credit">For a batch that came over the network: told once the batch is consumed, so the sender may send another.</param>
/// <param name="Bytes">Serialized size, for a batch that came over the network (0 otherwise).</param>
public readonly record struct Envelope(int Input, Array? Items, int Count, ICreditReturn? Credit = null, int Bytes = 0)
{
    /// <summary>True when this envelope marks the end of one producer's stream on <see cref="Input"/>.</summary>
    public bool IsEnd => Items is null;

    /// <summary>An end marker for <paramref name="input"/>.</summary>
    public static Envelope End(int input) => new(input, null, 0);
}

/// <summary>Gives a network channel's sender one credit back once a received batch has been consumed.</summary>
public interface ICreditReturn
{
    /// <summary>One batch of the channel was consumed.</summary>
    void Return();
}

/// <summary>Where a producer subtask hands batches for one consumer subtask: its local queue or a network channel.</summary>
public abstract class BatchTarget
{
    /// <summary>Hands over an envelope (ownership of its batch passes on), blocking under back-pressure; returns the ticks spent blocked.</summary>
    /// <exception cref="OperationCanceledException">The job was aborted.</exception>
    public abstract long Put(in Envelope envelope);
}
