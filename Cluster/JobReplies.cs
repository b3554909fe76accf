using Dataflow.Runtime.Iterations;

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
    private SuperstepRecoveryException? _interrupt;
    private CancellationTokenSource _interrupted = new();
    private TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The recovery every copy goes back for, until this copy has taken it up (<see cref="Resume"/>); or null.</summary>
    public SuperstepRecoveryException? Pending => Volatile.Read(ref _interrupt);

    /// <summary>Signalled when a recovery interrupts this copy (a new token after it was taken up).</summary>
    public CancellationToken Interrupted
    {
        get
        {
            lock (_waiters) return _interrupted.Token;
        }
    }

    /// <summary>Completes when the coordinator has decided about this copy's job after a transport failure: it failed, or it recovers.</summary>
    public Task Decided
    {
        get
        {
            lock (_waiters) return _decided.Task;
        }
    }

    /// <summary>Why the job failed, or null.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    /// <summary>Signalled when the job fails.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Waits for the reply of <paramref name="kind"/> numbered <paramref name="sequence"/> (from participant <paramref name="from"/>).</summary>
    public async Task<ControlMessage> Await(Reply kind, int sequence, int from = 0)
    {
        var tcs = Waiter(kind, sequence, from, awaiting: true);
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
        lock (_waiters) _decided.TrySetResult();
        // Not on the caller's thread (often the control connection's reader): aborting the local run
        // wakes subtask threads, and one may be stuck in a socket write.
        _ = Task.Run(_failed.Cancel);
    }

    /// <summary>
    /// A worker was lost and the job recovers (<paramref name="recovery"/>): every wait, present and future, ends with it
    /// until this copy takes the recovery up (<see cref="Resume"/>); <see cref="Interrupted"/> aborts what runs.
    /// Replies that arrive meanwhile are kept (the recovered protocol's).
    /// </summary>
    public void Interrupt(SuperstepRecoveryException recovery)
    {
        List<TaskCompletionSource<ControlMessage>> waiters;
        CancellationTokenSource interrupted;
        lock (_waiters)
        {
            if (_failure is not null || (_interrupt is { } pending && pending.Generation >= recovery.Generation)) return;
            _interrupt = recovery;
            waiters = _waiters.Values.ToList();
            interrupted = _interrupted;
            _decided.TrySetResult();
        }
        foreach (var w in waiters) w.TrySetException(Copy(recovery));
        _ = Task.Run(interrupted.Cancel);
    }

    /// <summary>
    /// This copy took up recovery <paramref name="generation"/>, whose protocol numbers start above <paramref name="base"/>:
    /// waits go through again, and replies numbered in the protocol before it are dropped.
    /// </summary>
    public void Resume(int generation, int @base)
    {
        lock (_waiters)
        {
            foreach (var key in _waiters.Keys.Where(k => k.Kind is Reply.Place or Reply.Checkpointed || k.Sequence <= @base).ToList()) _waiters.Remove(key);
            if (_interrupt is { } pending && pending.Generation > generation) return; // another loss meanwhile: that recovery is still to come
            _interrupt = null;
            // New ones, whether or not the old token's (queued) cancel has run yet: it must not reach the new generation's work.
            _interrupted = new CancellationTokenSource();
            if (_decided.Task.IsCompleted) _decided = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Throws the pending recovery, if any.</summary>
    public void ThrowIfInterrupted()
    {
        if (Pending is { } pending) throw Copy(pending);
    }

    /// <summary>A fresh exception of <paramref name="e"/>'s recovery (each wait throws its own).</summary>
    public static SuperstepRecoveryException Copy(SuperstepRecoveryException e) => new(e.Generation, e.Run, e.Superstep, e.Lost, e.Reason, e.Replacement);

    private TaskCompletionSource<ControlMessage> Waiter(Reply kind, int sequence, int from, bool awaiting = false)
    {
        lock (_waiters)
        {
            if (!_waiters.TryGetValue((kind, sequence, from), out var tcs))
            {
                tcs = new TaskCompletionSource<ControlMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (_failure is not null) tcs.TrySetException(new ClusterJobException(_failure));
                else if (awaiting && _interrupt is { } pending) tcs.TrySetException(Copy(pending));
                else _waiters[(kind, sequence, from)] = tcs;
            }
            return tcs;
        }
    }
}
