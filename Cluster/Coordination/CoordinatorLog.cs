using Microsoft.Extensions.Logging;

namespace Dataflow.Cluster;

/// <summary>The coordinator's log messages (source-generated).</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Id} registered: {Host}:{Port}, {Slots} slots, pid {Pid}")]
    public static partial void LogWorkerRegistered(ILogger logger, string id, string host, int port, int slots, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Id} lost: {Reason}")]
    public static partial void LogWorkerLost(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Id} left: {Reason}")]
    public static partial void LogWorkerLeft(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping the cluster: {Reason}")]
    public static partial void LogStopping(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ({Entry}) started on {Workers}")]
    public static partial void LogJobStarted(ILogger logger, int job, string entry, string workers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: workers {Workers} joined")]
    public static partial void LogWorkersJoined(ILogger logger, int job, string workers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: workers {Workers} released")]
    public static partial void LogWorkersReleased(ILogger logger, int job, string workers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: standby {Worker} stopped following it: {Reason}")]
    public static partial void LogFollowerEnded(ILogger logger, int job, string worker, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: releasing workers failed: {Message}")]
    public static partial void LogReleaseFailed(ILogger logger, int job, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: lost {Worker}; every copy goes back to the checkpoint after superstep {Superstep} (recovery {Generation}) with {Replacement}")]
    public static partial void LogJobRecovering(ILogger logger, int job, string worker, int superstep, int generation, string replacement);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: no new worker to replace the lost one ({Message}); the workers left go on")]
    public static partial void LogReplacementFailed(ILogger logger, int job, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} failed: {Message}")]
    public static partial void LogJobFailed(ILogger logger, int job, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ended ({State}) after {Seconds:F1} s")]
    public static partial void LogJobEnded(ILogger logger, int job, string state, double seconds);
}
