using System.Net;
using Dataflow.Runtime.Hosting;

namespace Dataflow.Cluster;

/// <summary>Settings of a coordinator.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Where workers and submitters connect.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 7077);

    /// <summary>The cluster's shared secret.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>A worker silent for this long is lost (its jobs fail); the coordinator's own stalls do not count (<see cref="HeartbeatWatch"/>).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>The clock heartbeats are judged by (tests give a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where job files are cached by content hash.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(PrivateDirectory.UserRoot, "coordinator-cache");

    /// <summary>
    /// Where jobs that may grow (<see cref="SubmitJob.MaxWorkers"/>) get more workers: the provider is asked
    /// for them when too few registered workers are free, and releases the workers such a job leaves
    /// (a process provider stops their processes). Null: the registered free workers are the pool, and
    /// released workers return to it.
    /// </summary>
    public Dataflow.Runtime.Extensibility.IResourceProvider? Provider { get; set; }

    /// <summary>Resolves <see cref="Provider"/> at its first use when it is not set (dependency injection: the <see cref="Dataflow.Runtime.Extensibility.IResourceProvider"/> service).</summary>
    public Func<Dataflow.Runtime.Extensibility.IResourceProvider?>? ProviderFactory { get; set; }

    /// <summary>
    /// With a <see cref="Provider"/>: how many workers the cluster keeps — a released worker stays as a
    /// free, warm standby while the cluster has no more than this many, and only the ones beyond go back
    /// to the provider (0: every released worker does).
    /// </summary>
    public int KeepWorkers { get; set; }

    /// <summary>
    /// Whether free workers follow the running jobs that may grow (<see cref="SubmitJob.MaxWorkers"/>): each
    /// such job gets, from the free workers, up to as many standbys as it may still acquire; a standby runs the
    /// job's program and replays what the job's workers are told as it happens (running nothing), so that
    /// acquiring it is a change of roster instead of a replay of the job so far. Default true; false: standbys
    /// stay idle and a worker acquired replays the job when it joins.
    /// </summary>
    public bool StandbysFollow { get; set; } = true;
}
