namespace Dataflow.Runtime.Execution;

/// <summary>
/// The job-wide stop signal: set once on the first failure or on cancellation, it wakes every
/// blocked producer and consumer so that all subtask threads end promptly.
/// </summary>
public sealed class JobAbort
{
    private readonly List<IWakeable> _queues = new();
    private volatile bool _aborted;

    /// <summary>True once the job is being torn down.</summary>
    public bool IsAborted => _aborted;

    /// <summary>Wakes <paramref name="queue"/> when the job aborts.</summary>
    public void Register(IWakeable queue)
    {
        lock (_queues)
        {
            _queues.Add(queue);
        }
    }

    /// <summary>Aborts the job and wakes every blocked thread.</summary>
    public void Abort()
    {
        if (_aborted) return;
        _aborted = true;
        IWakeable[] queues;
        lock (_queues)
        {
            queues = _queues.ToArray();
        }
        foreach (var q in queues)
        {
            q.Wake();
        }
    }

    /// <summary>Throws <see cref="OperationCanceledException"/> once the job is aborted.</summary>
    public void ThrowIfAborted()
    {
        if (_aborted) ThrowAborted();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowAborted() => throw new OperationCanceledException("The job was aborted.");
}

/// <summary>Something a blocked subtask thread waits on (an input queue, a channel to another process); woken when the job aborts.</summary>
public interface IWakeable
{
    /// <summary>Wakes every thread that waits on this.</summary>
    void Wake();
}
