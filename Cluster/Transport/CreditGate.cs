using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Hosting;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Serialization;
using Dataflow.Runtime.Statistics;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Partitioning;
namespace Dataflow.Cluster.Transport;

/// <summary>
/// Credit-based flow control for one channel: the sender spends one credit per batch and waits
/// when it has none; the receiver grants credits as it frees buffer space. A slow receiver thus
/// holds back only its own channels, never the whole connection.
/// </summary>
public sealed class CreditGate
{
    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _credits;

    /// <summary>Creates a gate with <paramref name="initialCredits"/> credits.</summary>
    public CreditGate(int initialCredits = 0) => _credits = initialCredits;

    /// <summary>Credits available now.</summary>
    public int Available
    {
        get
        {
            lock (_lock) return _credits;
        }
    }

    /// <summary>Takes one credit, waiting for a grant when none is left.</summary>
    public Task WaitAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_credits > 0 && _waiters.Count == 0)
            {
                _credits--;
                return Task.CompletedTask;
            }
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
            if (cancellationToken.CanBeCanceled) cancellationToken.Register(() => waiter.TrySetCanceled(cancellationToken));
            return waiter.Task;
        }
    }

    /// <summary>Adds <paramref name="credits"/> credits, releasing waiting senders in order.</summary>
    public void Grant(int credits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(credits);
        lock (_lock)
        {
            _credits += credits;
            while (_credits > 0 && _waiters.Count > 0)
            {
                var w = _waiters.Dequeue();
                if (w.TrySetResult()) _credits--;
            }
        }
    }
}
