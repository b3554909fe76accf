using System.Diagnostics.CodeAnalysis;
using Dataflow.Runtime.Execution;

namespace Dataflow.Operators.Core;

/// <summary>Which operator instance is running: used to name it when user code throws.</summary>
/// <param name="Name">The operator's display name, e.g. <c>Select(ParseLine)</c>.</param>
/// <param name="Subtask">The subtask index.</param>
/// <param name="BatchSize">Records per output batch.</param>
public readonly record struct OperatorInfo(string Name, int Subtask, int BatchSize)
{
    /// <summary>
    /// Set inside an iteration when one of the operator's inputs is loop-invariant and the operator can
    /// keep what it built from it (a join's hash table) across supersteps: empty in the first
    /// superstep, where the operator stores its state, and filled in later ones, where that input
    /// does not run at all.
    /// </summary>
    public StateSlot? StaticState { get; init; }

    /// <summary>
    /// Set inside an iteration: where this subtask's operator leaves what it built during a superstep (a join's table of
    /// the other, changing side, its buffers) for the same subtask's operator in the next superstep to clear and refill,
    /// so a warm superstep allocates nothing once its tables have grown. Null outside iterations.
    /// </summary>
    public StateSlot? Scratch { get; init; }

    /// <summary>The number of key groups (state kept across supersteps is partitioned by them).</summary>
    public int MaxParallelism { get; init; } = Runtime.Partitioning.KeyGroups.DefaultMaxParallelism;

    /// <summary>True when <paramref name="e"/> came from user code and must be tagged with this operator.</summary>
    public static bool IsUserFault(Exception e) => e is not UserCodeException and not OperationCanceledException and not InputFormatException;

    /// <summary>Wraps a user exception with this operator's name and subtask.</summary>
    [DoesNotReturn]
    public void Throw(Exception e) => throw new UserCodeException(Name, Subtask, e);
}


/// <summary>Holds an operator's loop-invariant state between supersteps of an iteration.</summary>
public sealed class StateSlot
{
    private object[] _kept = [];

    /// <summary>The state, or null before the first superstep stored it.</summary>
    public object? Value { get; set; }

    /// <summary>
    /// The object of type <typeparamref name="T"/> kept in this slot by an earlier superstep (<paramref name="reused"/>:
    /// the caller empties it), or a new one from <paramref name="create"/>, kept from now on. One per type, so an operator
    /// may keep several (a fused join keeps its table and its accumulators).
    /// </summary>
    public T Keep<T>(Func<T> create, out bool reused) where T : class
    {
        foreach (var o in _kept)
        {
            if (o is T t)
            {
                reused = true;
                return t;
            }
        }
        var made = create();
        _kept = [.. _kept, made];
        reused = false;
        return made;
    }
}
