using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;

namespace Dataflow.Cluster;

/// <summary>
/// What the coordinator's parts share: the workers and jobs behind one lock (a job's protocol state
/// and the workers it holds change together), the settings, and the parts themselves, so that each
/// can hand over to the one whose concern comes next.
/// </summary>
internal sealed class CoordinatorState
{
    public CoordinatorState(CoordinatorOptions options, ILogger logger, PlacementService placement, CancellationToken stopping)
    {
        Options = options;
        Logger = logger;
        Placement = placement;
        Stopping = stopping;
        Files = new FileStore(options.CacheDirectory);
        Heartbeats = new HeartbeatWatch(options.HeartbeatTimeout, CheckPeriod, options.TimeProvider);
        Registry = new WorkerRegistry(this);
        Lifecycle = new JobLifecycle(this);
        Steps = new StepRendezvous(this);
        Standbys = new StandbyPool(this);
        Recovery = new JobRecovery(this);
    }

    /// <summary>How often the heartbeat watch checks.</summary>
    public static readonly TimeSpan CheckPeriod = TimeSpan.FromMilliseconds(200);

    public object Lock { get; } = new();

    public HeartbeatWatch Heartbeats { get; }

    public Dictionary<string, WorkerEntry> Workers { get; } = new();

    public Dictionary<int, JobEntry> Jobs { get; } = new();

    public CoordinatorOptions Options { get; }

    public ILogger Logger { get; }

    public PlacementService Placement { get; }

    public FileStore Files { get; }

    public CancellationToken Stopping { get; }

    public int NextWorker;

    public int NextJob;

    public WorkerRegistry Registry { get; }

    public JobLifecycle Lifecycle { get; }

    public StepRendezvous Steps { get; }

    public StandbyPool Standbys { get; }

    public JobRecovery Recovery { get; }

    /// <summary>Routes a participant's protocol message (the coordinator's dispatcher).</summary>
    public Func<ControlMessage, string, Task> Dispatch { get; set; } = (_, _) => Task.CompletedTask;

    /// <summary>Raised for every worker heartbeat.</summary>
    public Action<string, Heartbeat>? HeartbeatReceived { get; set; }

    /// <summary>A submitter's statistics event (job, program, JSON line): the dashboard's feed.</summary>
    public Action<int, string, string>? JobEventReceived { get; set; }

    public IResourceProvider? ResolveProvider() => Options.Provider ??= Options.ProviderFactory?.Invoke();
}
