using Microsoft.Extensions.Logging;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Logs dropped connections at most once per interval, with how many more were dropped since the
/// last line: a flood of bad connections must not become a flood of log lines (disk, terminal).
/// </summary>
internal sealed partial class DropLog(ILogger logger, TimeProvider? time = null, TimeSpan? interval = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly TimeSpan _interval = interval ?? TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private long _lastLogged = long.MinValue;
    private int _suppressed;

    /// <summary>Records one dropped connection; logs it unless a line was written within the interval.</summary>
    public void Dropped(string remote, string reason)
    {
        int suppressed;
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_lastLogged != long.MinValue && _time.GetElapsedTime(_lastLogged, now) < _interval)
            {
                _suppressed++;
                return;
            }
            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
        }
        if (suppressed == 0) LogDropped(logger, remote, reason);
        else LogDroppedMore(logger, remote, reason, suppressed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped connection from {Remote}: {Reason}")]
    private static partial void LogDropped(ILogger logger, string remote, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped connection from {Remote}: {Reason} ({Suppressed} more dropped since the last line)")]
    private static partial void LogDroppedMore(ILogger logger, string remote, string reason, int suppressed);
}
