namespace Dataflow.Cluster;

/// <summary>
/// Judges which workers are lost from the heartbeats the coordinator received, on the coordinator's
/// clock (<see cref="TimeProvider"/>), and forgives silences the coordinator itself caused: when it
/// was not running for longer than a check period allows (stopped with SIGSTOP, a long pause, an
/// overloaded machine), the heartbeats the workers sent meanwhile are still in its sockets, so every
/// worker gets a whole timeout from the end of the stall before it counts as silent.
/// </summary>
/// <param name="timeout">How long a worker may be silent (while the coordinator runs).</param>
/// <param name="checkPeriod">How often <see cref="Silent"/> is called; a gap of more than twice that (and at least a second) is a stall.</param>
/// <param name="time">The clock.</param>
public sealed class HeartbeatWatch(TimeSpan timeout, TimeSpan checkPeriod, TimeProvider time)
{
    private readonly TimeSpan _stall = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, 2 * checkPeriod.Ticks));
    private long _lastCheck = time.GetTimestamp();
    private long _graceFrom = time.GetTimestamp();

    /// <summary>The clock's timestamp now (what a heartbeat's arrival is recorded as).</summary>
    public long Now => time.GetTimestamp();

    /// <summary>The number of stalls of the coordinator seen so far.</summary>
    public int Stalls { get; private set; }

    /// <summary>How long a worker whose last heartbeat arrived at <paramref name="lastHeartbeat"/> has been silent, not counting a stall of the coordinator.</summary>
    public TimeSpan SilenceOf(long lastHeartbeat) => time.GetElapsedTime(Math.Max(lastHeartbeat, _graceFrom));

    /// <summary>
    /// One check: the workers silent for longer than the timeout. After a stall of the coordinator
    /// (this check came too long after the previous one) silences count from now.
    /// </summary>
    public List<T> Silent<T>(IEnumerable<T> workers, Func<T, long> lastHeartbeat)
    {
        ArgumentNullException.ThrowIfNull(workers);
        ArgumentNullException.ThrowIfNull(lastHeartbeat);
        long now = time.GetTimestamp();
        if (time.GetElapsedTime(_lastCheck, now) > _stall)
        {
            _graceFrom = now;
            Stalls++;
        }
        _lastCheck = now;
        return workers.Where(w => time.GetElapsedTime(Math.Max(lastHeartbeat(w), _graceFrom), now) > timeout).ToList();
    }
}
