namespace Dataflow.Cluster;

/// <summary>A registered worker as the coordinator sees it.</summary>
internal sealed class WorkerEntry(string id, RegisterWorker info, ControlChannel channel, long registered)
{
    public string Id { get; } = id;
    public RegisterWorker Info { get; } = info;
    public ControlChannel Channel { get; } = channel;
    /// <summary>When the last message from the worker arrived (the coordinator's clock).</summary>
    public long LastHeartbeat { get; set; } = registered;
    public bool Retired { get; set; }
    public double Cpu { get; set; }
    public long Memory { get; set; }
    public int Job { get; set; }
    /// <summary>The job this free worker follows as a standby (0: none).</summary>
    public int Follows { get; set; }
    /// <summary>Completed once the standby has been sent the job's log so far and gets its messages as they come; failed if it never will.</summary>
    public TaskCompletionSource? FollowLive { get; set; }
    /// <summary>Starts of a program on this worker as a standby (<see cref="StartJob.Run"/>); the last one is the one that follows.</summary>
    public int Runs { get; set; }
    public bool Lost { get; set; }
    /// <summary>Why the worker said it leaves (<see cref="Leaving"/>), or null: its connection closing next is then no loss.</summary>
    public string? Leaving { get; set; }
    public TaskCompletionSource<bool>? FilesReady { get; set; }
    public string Describe() => $"worker {Id} ({Info.Host}:{Info.DataPort}, pid {Info.Pid})";
}
