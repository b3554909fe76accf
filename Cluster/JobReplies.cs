namespace Dataflow.Cluster;

/// <summary>What a copy of the program waits for from the coordinator, each numbered by its step, barrier or request.</summary>
internal enum Reply
{
    Go,
    Complete,
    Barrier,
    Roster,
    Share,
    Place,
    /// <summary>A worker finished its part of a move (numbered by the move, one per worker).</summary>
    Moved,
    /// <summary>A worker wrote its files of a checkpoint (numbered by iteration run and superstep, one per worker).</summary>
    Checkpointed,
}

/// <summary>
/// The replies a participant of a job waits for, matched by kind, sequence number and sender, and the
/// job's failure: once the job fails every wait, present and future, ends with <see cref="ClusterJobException"/>.
/// A reply may arrive before anyone waits for it; it is kept until someone does.
/// </summary>
internal sealed class JobReplies
{
    private readonly Dictionary<(Reply Kind, int Sequence, int From), TaskCompletionSource<ControlMessage>> _waiters = new();
    private readonly CancellationTokenSource _failed = new();
    private string? _failure;

    /// <summary>Why the job failed, or null.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Signalled when the job fails.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Waits for the reply of <paramref name="kind"/> numbered <paramref name="sequence"/> (from participant <paramref name="from"/>).</summary>
    public async Task<ControlMessage> Await(Reply kind, int sequence, int from = 0)
    {
        var tcs = Waiter(kind, sequence, from);
        try
        {
            return await tcs.Task.ConfigureAwait(false);
        }
        finally
        {
            lock (_waiters) _waiters.Remove((kind, sequence, from));
        }
    }

    /// <summary>Hands a reply to whoever waits (or will wait) for it.</summary>
    public void Complete(Reply kind, int sequence, ControlMessage message, int from = 0) => Waiter(kind, sequence, from).TrySetResult(message);

    /// <summary>Fails every wait with <paramref name="message"/> (the first failure's message wins) and signals <see cref="Failed"/>.</summary>
    public void Fail(string message)
    {
        List<TaskCompletionSource<ControlMessage>> waiters;
        string failure;
        lock (_waiters)
        {
            failure = _failure ??= message;
            waiters = _waiters.Values.ToList();
            _waiters.Clear();
        }
        foreach (var w in waiters) w.TrySetException(new ClusterJobException(failure));
        // Not on the caller's thread (often the control connection's reader): aborting the local run
        // wakes subtask threads, and one may be stuck in a socket write.
        _ = Task.Run(_failed.Cancel);
    }

    private TaskCompletionSource<ControlMessage> Waiter(Reply kind, int sequence, int from)
    {
        lock (_waiters)
        {
            if (!_waiters.TryGetValue((kind, sequence, from), out var tcs))
            {
                tcs = new TaskCompletionSource<ControlMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_failure is not null) tcs.TrySetException(new ClusterJobException(_failure));
                else _waiters[(kind, sequence, from)] = tcs;
            }
            return tcs;
        }
    }
}
