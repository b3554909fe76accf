using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dataflow.Runtime.Statistics;
using Dataflow.Cluster.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Hosting;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Serialization;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Cluster;

/// <summary>Settings of a coordinator.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>Where workers and submitters connect.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 7077);

    /// <summary>The cluster's shared secret.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>A worker silent for this long is lost (its jobs fail).</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Where job files are cached by content hash.</summary>
    public string CacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "dataflow-coordinator-cache");

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

/// <summary>
/// The coordinator of docs/architecture.md §7: keeps the registry of workers and their heartbeats, receives
/// submitted programs and their files, assigns workers to jobs, and runs the protocol that keeps
/// all copies of a program in step — step start (with the plan fingerprint check) and end, the
/// iteration barriers, shared results — and fails a job, naming the worker and the last completed
/// superstep, when one of its workers is lost. It never runs user code; it survives any job.
/// </summary>
public sealed partial class Coordinator : IAsyncDisposable
{
    private readonly CoordinatorOptions _options;
    private readonly ILogger _logger;
    private readonly FrameServer _server;
    private readonly object _lock = new();
    private readonly Dictionary<string, WorkerEntry> _workers = new();
    private readonly Dictionary<int, JobEntry> _jobs = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly FileStore _files;
    private Task? _monitor;
    private int _nextWorker;
    private int _nextJob;

    /// <summary>The settings.</summary>
    public CoordinatorOptions Options => _options;

    private readonly PlacementService _placement;

    /// <summary>Creates a coordinator; call <see cref="Start"/>. Prefer <c>services.AddDataflowCluster()</c>, which resolves its services.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Where it logs, or null.</param>
    /// <param name="placement">Places the jobs' subtasks with the policies programs choose (default: the built-in policies only).</param>
    public Coordinator(CoordinatorOptions options, ILogger? logger = null, PlacementService? placement = null)
    {
        _options = options;
        _placement = placement ?? new PlacementService([]);
        _logger = logger ?? NullLogger.Instance;
        _files = new FileStore(options.CacheDirectory);
        _server = new FrameServer(options.Listen, options.Secret, ServeAsync, _logger, ControlChannel.MaxFrameBytes);
    }

    private Dataflow.Runtime.Extensibility.IResourceProvider? ResolveProvider() => _options.Provider ??= _options.ProviderFactory?.Invoke();

    /// <summary>The address it listens on.</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Connections dropped for a bad secret or a protocol violation.</summary>
    public int RejectedConnections => _server.Rejected;

    /// <summary>The registered workers.</summary>
    public int WorkerCount
    {
        get
        {
            lock (_lock) return _workers.Count;
        }
    }

    /// <summary>Raised for every worker heartbeat (worker id, its metrics): feeds metric histories and traces.</summary>
    public event Action<string, Heartbeat>? HeartbeatReceived;

    /// <summary>The process ids the registered workers gave.</summary>
    public IReadOnlyList<int> RegisteredPids()
    {
        lock (_lock) return _workers.Values.Select(w => w.Info.Pid).ToList();
    }

    /// <summary>The registered workers not running a job.</summary>
    public IReadOnlyList<Dataflow.Runtime.Extensibility.WorkerInfo> FreeWorkers()
    {
        lock (_lock) return _workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired).Select(w => new Dataflow.Runtime.Extensibility.WorkerInfo(w.Id, w.Info.Slots)).ToList();
    }

    /// <summary>Starts accepting connections and watching heartbeats.</summary>
    public void Start()
    {
        _server.Start();
        _monitor = MonitorAsync();
    }

    /// <summary>Waits until <paramref name="count"/> workers are registered.</summary>
    public async Task WaitForWorkersAsync(int count, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (WorkerCount < count)
        {
            if (sw.Elapsed > timeout) throw new TimeoutException($"Only {WorkerCount} of {count} workers registered within {timeout.TotalSeconds:F0} s.");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(FrameConnection connection, CancellationToken token)
    {
        var channel = new ControlChannel(connection);
        var first = await channel.ReceiveAsync(token).ConfigureAwait(false);
        switch (first)
        {
            case RegisterWorker r: await ServeWorkerAsync(channel, r, token).ConfigureAwait(false); break;
            case SubmitJob s: await ServeSubmitterAsync(channel, s, token).ConfigureAwait(false); break;
            case StatusRequest: await channel.SendAsync(Status(), token).ConfigureAwait(false); break;
            case null: return;
            default: throw new ProtocolException($"Unexpected first message {first.GetType().Name}.");
        }
    }

    // ---------------------------------------------------------------- workers

    private sealed class WorkerEntry(string id, RegisterWorker info, ControlChannel channel)
    {
        public string Id { get; } = id;
        public RegisterWorker Info { get; } = info;
        public ControlChannel Channel { get; } = channel;
        public long LastHeartbeat { get; set; } = Stopwatch.GetTimestamp();
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
        public TaskCompletionSource<bool>? FilesReady { get; set; }
        public string Describe() => $"worker {Id} ({Info.Host}:{Info.DataPort}, pid {Info.Pid})";
    }

    private async Task ServeWorkerAsync(ControlChannel channel, RegisterWorker info, CancellationToken token)
    {
        if (info.Slots < 1) throw new ProtocolException($"A worker with {info.Slots} slots.");
        WorkerEntry worker;
        lock (_lock)
        {
            var id = "w" + (++_nextWorker).ToString(CultureInfo.InvariantCulture);
            worker = new WorkerEntry(id, info, channel);
            _workers[id] = worker;
        }
        LogWorkerRegistered(_logger, worker.Id, info.Host, info.DataPort, info.Slots, info.Pid);
        await channel.SendAsync(new Registered(worker.Id), token).ConfigureAwait(false);
        Follow();
        string reason = "its connection closed";
        try
        {
            while (await channel.ReceiveAsync(token).ConfigureAwait(false) is { } m)
            {
                worker.LastHeartbeat = Stopwatch.GetTimestamp();
                switch (m)
                {
                    case Heartbeat h:
                        worker.Cpu = h.Cpu;
                        worker.Memory = h.MemoryBytes;
                        _placement.Observe(worker.Id, h.Names, h.Values);
                        HeartbeatReceived?.Invoke(worker.Id, h);
                        break;
                    case NeedFiles n:
                        await SendFilesAsync(channel, n.Hashes, token).ConfigureAwait(false);
                        break;
                    default:
                        await OnParticipantMessageAsync(m, worker.Id).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ProtocolException or System.Net.Sockets.SocketException or ObjectDisposedException or InvalidOperationException)
        {
            reason = worker.Lost ? "no heartbeat" : $"its connection broke ({e.Message})";
        }
        finally
        {
            await LoseWorkerAsync(worker, reason).ConfigureAwait(false);
        }
    }

    private async Task MonitorAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(200, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            List<WorkerEntry> silent;
            lock (_lock)
            {
                silent = _workers.Values.Where(w => Stopwatch.GetElapsedTime(w.LastHeartbeat) > _options.HeartbeatTimeout).ToList();
            }
            foreach (var w in silent)
            {
                await LoseWorkerAsync(w, $"no heartbeat for {Stopwatch.GetElapsedTime(w.LastHeartbeat).TotalSeconds:F1} s").ConfigureAwait(false);
                await w.Channel.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task LoseWorkerAsync(WorkerEntry worker, string reason)
    {
        JobEntry? job;
        lock (_lock)
        {
            if (worker.Lost) return;
            worker.Lost = true;
            _workers.Remove(worker.Id);
            _jobs.TryGetValue(worker.Job, out job);
            // A lost standby only leaves the job it followed (which had not taken it).
            if (worker.Follows != 0 && _jobs.TryGetValue(worker.Follows, out var followed)) followed.Followers.Remove(worker);
            worker.Follows = 0;
            worker.FollowLive?.TrySetException(new IOException($"Lost {worker.Describe()}: {reason}."));
        }
        if (_stop.IsCancellationRequested || worker.Retired) return; // shutting down or released: workers leave, nothing is lost
        LogWorkerLost(_logger, worker.Id, reason);
        Follow(); // a lost standby is replaced if another worker is free
        if (job is not null && job.State == "running")
        {
            await FailJobAsync(job, $"Lost {worker.Describe()}: {reason}. {job.Progress()}").ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- jobs

    private sealed class JobEntry(int id, SubmitJob submit, ControlChannel submitter)
    {
        public int Id { get; } = id;
        public SubmitJob Submit { get; } = submit;
        public ControlChannel Submitter { get; } = submitter;
        /// <summary>Positions: the submitter (0) and the workers; a released worker's position is vacant (no channel) until a new one fills it.</summary>
        public List<(Participant Participant, ControlChannel? Channel, WorkerEntry? Worker)> Participants { get; } = new();
        public Participant[] InitialRoster { get; set; } = [];
        public int Parallelism { get; set; }
        /// <summary>What every worker of the job was sent (steps, barriers, shared values, rosters): a joining worker replays it.</summary>
        public List<ControlMessage> Log { get; } = new();
        /// <summary>Free workers that follow the job as standbys (<see cref="CoordinatorOptions.StandbysFollow"/>); those whose <see cref="WorkerEntry.FollowLive"/> completed get its logged messages as they come.</summary>
        public List<WorkerEntry> Followers { get; } = new();
        /// <summary>Workers whose copy of the program ended while they followed the job: they do not follow it again.</summary>
        public HashSet<string> FollowEnded { get; } = new();
        /// <summary>The last acquisition the job started (a standby that starts following now joins only in a later one).</summary>
        public int Acquisitions { get; set; }
        /// <summary>The workers of the running acquisition that have not caught up yet, and the signal that they all have.</summary>
        public (HashSet<string> Waiting, TaskCompletionSource Done)? Joining { get; set; }
        public string State { get; set; } = "starting";
        public Dictionary<int, Dictionary<int, StepReady>> Ready { get; } = new();
        public Dictionary<int, Dictionary<int, StepDone>> Done { get; } = new();
        public Dictionary<int, Dictionary<int, BarrierReport>> Barriers { get; } = new();
        public int Steps { get; set; }
        public string? LastSuperstep { get; set; }
        public Dictionary<int, PlacementDecision> Placed { get; } = new();
        public HashSet<int> Ended { get; } = new();
        public IJobPlacement? Placer { get; set; }
        public long StartTicks { get; } = Stopwatch.GetTimestamp();

        public string Progress() => LastSuperstep is null
            ? $"No superstep had completed ({Steps} steps completed)."
            : $"Last completed superstep: {LastSuperstep}.";

        public int IndexOf(string id) => Participants.FindIndex(p => p.Participant.Id == id);

        public int Active => Participants.Count(p => !p.Participant.IsVacant());

        public bool IsActive(int position) => position < Participants.Count && !Participants[position].Participant.IsVacant();

        /// <summary>Records <paramref name="position"/>'s part of round <paramref name="key"/> (a step's start or end, a barrier).</summary>
        public static void Put<T>(Dictionary<int, Dictionary<int, T>> rounds, int key, int position, T part)
        {
            if (!rounds.TryGetValue(key, out var parts)) rounds[key] = parts = new();
            parts[position] = part;
        }

        /// <summary>
        /// Once every position the job holds (the submitter and its workers) has its part of round
        /// <paramref name="key"/>: removes the round and returns those parts in position order.
        /// </summary>
        public bool TryTake<T>(Dictionary<int, Dictionary<int, T>> rounds, int key, out (int Position, T Part)[] parts)
        {
            parts = [];
            if (!rounds.TryGetValue(key, out var byPosition)) return false;
            for (int i = 0; i < Participants.Count; i++)
            {
                if (IsActive(i) && !byPosition.ContainsKey(i)) return false;
            }
            rounds.Remove(key);
            parts = byPosition.Where(x => IsActive(x.Key)).OrderBy(x => x.Key).Select(x => (x.Key, x.Value)).ToArray();
            return true;
        }

        public List<Dataflow.Runtime.Extensibility.WorkerInfo> Workers() =>
            Participants.Skip(1).Where(p => !p.Participant.IsVacant()).Select(p => new Dataflow.Runtime.Extensibility.WorkerInfo(p.Participant.Id, p.Participant.Slots)).ToList();
    }

    private async Task ServeSubmitterAsync(ControlChannel channel, SubmitJob submit, CancellationToken token)
    {
        JobEntry job;
        lock (_lock)
        {
            job = new JobEntry(++_nextJob, submit, channel);
            _jobs[job.Id] = job;
        }
        try
        {
            // 1. The program's files, by content hash (cached across jobs).
            var missing = submit.Files.Select(f => f.Hash).Distinct().Where(h => !_files.Has(h)).ToArray();
            await channel.SendAsync(new NeedFiles(missing), token).ConfigureAwait(false);
            var pending = new HashSet<string>(missing);
            while (pending.Count > 0)
            {
                var m = await channel.ReceiveAsync(token).ConfigureAwait(false) ?? throw new IOException("The submitter disconnected while sending files.");
                if (m is not FileChunk chunk || !pending.Contains(chunk.Hash)) throw new ProtocolException($"Expected a file chunk, got {m.GetType().Name}.");
                if (_files.Append(chunk)) pending.Remove(chunk.Hash);
            }

            // 2. Workers.
            List<WorkerEntry> chosen;
            var unfollow = new List<(int Job, WorkerEntry Worker)>();
            lock (_lock)
            {
                // Workers that follow no job first; a standby taken from another job stops following it (below).
                var free = _workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired)
                    .OrderBy(w => w.Follows == 0 ? 0 : 1).ThenBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).ToList();
                int want = submit.Workers <= 0 ? free.Count : submit.Workers;
                if (want == 0 || free.Count < want)
                {
                    throw new ClusterJobException($"The job needs {(want == 0 ? "at least one" : want.ToString(CultureInfo.InvariantCulture))} free worker(s); {free.Count} free of {_workers.Count} registered.");
                }
                chosen = free.Take(want).ToList();
                foreach (var w in chosen)
                {
                    w.Job = job.Id;
                    if (w.Follows != 0) unfollow.Add((w.Follows, Unfollow(w)));
                }
                job.Participants.Add((new Participant("submitter", submit.DataHost, submit.DataPort, 0), channel, null));
                foreach (var w in chosen) job.Participants.Add((new Participant(w.Id, w.Info.Host, w.Info.DataPort, w.Info.Slots), w.Channel, w));
                job.State = "running";
                job.InitialRoster = job.Participants.Select(p => p.Participant).ToArray();
                job.Parallelism = chosen.Sum(w => w.Info.Slots);
            }
            LogJobStarted(_logger, job.Id, submit.Entry, string.Join(",", chosen.Select(w => w.Id)));
            foreach (var (other, w) in unfollow) await w.Channel.TrySendAsync(new JobEnded(other)).ConfigureAwait(false);
            for (int i = 0; i < job.Participants.Count; i++)
            {
                await job.Participants[i].Channel!.SendAsync(new StartJob(job.Id, submit.Entry, submit.Args, submit.Files, job.InitialRoster, i, job.Parallelism,
                    submit.MaxWorkers), token).ConfigureAwait(false);
            }
            Follow();

            // 3. The submitter's part of the protocol until its program ends.
            while (await channel.ReceiveAsync(token).ConfigureAwait(false) is { } m)
            {
                if (m is ProgramEnded ended)
                {
                    await EndJobAsync(job, ended.Error is null ? "finished" : "failed").ConfigureAwait(false);
                    return;
                }
                await OnParticipantMessageAsync(m, "submitter").ConfigureAwait(false);
            }
            await FailJobAsync(job, "The submitter disconnected.").ConfigureAwait(false);
            await EndJobAsync(job, "failed").ConfigureAwait(false);
        }
        catch (ClusterJobException e)
        {
            job.State = "failed";
            await channel.TrySendAsync(new JobFailed(job.Id, e.Message)).ConfigureAwait(false);
            await EndJobAsync(job, "failed").ConfigureAwait(false);
        }
        catch (Exception)
        {
            await FailJobAsync(job, "The submitter's connection broke.").ConfigureAwait(false);
            await EndJobAsync(job, "failed").ConfigureAwait(false);
            throw;
        }
    }

    private async Task SendFilesAsync(ControlChannel channel, string[] hashes, CancellationToken token)
    {
        foreach (var h in hashes)
        {
            if (!_files.Has(h)) throw new ProtocolException($"Unknown file {h}.");
            await foreach (var chunk in _files.ReadAsync(h, token).ConfigureAwait(false))
            {
                await channel.SendAsync(chunk, token).ConfigureAwait(false);
            }
        }
    }

    private async Task OnParticipantMessageAsync(ControlMessage m, string from)
    {
        JobEntry? job;
        int jobId = m switch
        {
            StepReady x => x.Job, StepDone x => x.Job, StepFailed x => x.Job, BarrierReport x => x.Job, Share x => x.Job,
            ProgramEnded x => x.Job, JobLoaded x => x.Job, MoveDone x => x.Job, PlaceRequest x => x.Job,
            AcquireWorkers x => x.Job, ReleaseWorkers x => x.Job, Joined x => x.Job,
            _ => throw new ProtocolException($"Unexpected {m.GetType().Name} from {from}."),
        };
        lock (_lock) _jobs.TryGetValue(jobId, out job);
        if (job is null || job.State != "running") return; // a message of a job that already ended
        int index;
        lock (_lock) index = job.IndexOf(from);
        if (index < 0)
        {
            if (m is ProgramEnded followerEnded) await OnFollowerEndedAsync(job, from, followerEnded).ConfigureAwait(false);
            return; // not (or no longer: released) part of the job
        }
        switch (m)
        {
            case StepReady r: await OnStepReadyAsync(job, index, r).ConfigureAwait(false); break;
            case StepDone d: await OnStepDoneAsync(job, index, d).ConfigureAwait(false); break;
            case StepFailed f when f.Transport:
                // A broken connection is usually the symptom of a lost worker, which explains it better: wait for the heartbeat verdict.
                _ = Task.Run(async () =>
                {
                    await Task.Delay(_options.HeartbeatTimeout / 2).ConfigureAwait(false);
                    await FailJobAsync(job, f.Message).ConfigureAwait(false);
                });
                break;
            case StepFailed f:
                await FailJobAsync(job, f.Message).ConfigureAwait(false);
                break;
            case BarrierReport b: await OnBarrierAsync(job, index, b).ConfigureAwait(false); break;
            case Share s:
                await BroadcastAsync(job, s, toSubmitter: false).ConfigureAwait(false);
                break;
            case PlaceRequest q when index == 0:
                await job.Participants[0].Channel!.TrySendAsync(new PlaceReply(job.Id, q.Superstep, Replace(job, q))).ConfigureAwait(false);
                break;
            case AcquireWorkers a when index == 0:
                _ = Task.Run(() => AcquireAsync(job, a));
                break;
            case Joined:
                lock (_lock)
                {
                    if (job.Joining is { } joining && joining.Waiting.Remove(from) && joining.Waiting.Count == 0) joining.Done.TrySetResult();
                }
                break;
            case ReleaseWorkers r when index == 0:
                await ReleaseAsync(job, r.Positions).ConfigureAwait(false);
                break;
            case MoveDone d:
                if (d.From != index) throw new ProtocolException($"A move report of participant {d.From} sent by participant {index}.");
                await job.Participants[0].Channel!.TrySendAsync(d).ConfigureAwait(false);
                break;
            case ProgramEnded e when e.Error is not null:
                await FailJobAsync(job, $"The program failed on {from}: {e.Error}").ConfigureAwait(false);
                break;
            case ProgramEnded:
                bool pending;
                lock (_lock)
                {
                    job.Ended.Add(index);
                    pending = job.Ready.Count > 0 || job.Done.Count > 0 || job.Barriers.Count > 0;
                }
                // Its copy of the program is done: if the others still wait for it, the copies diverged.
                if (pending) await FailJobAsync(job, $"The program on {from} ended while the others were still running a step (the copies of the program took different paths).").ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// A standby's copy of the program ended while it followed the job (it failed there, e.g. a file it reads is
    /// missing): it follows the job no more; if the job had just taken it, the job fails naming the cause.
    /// </summary>
    private async Task OnFollowerEndedAsync(JobEntry job, string from, ProgramEnded ended)
    {
        WorkerEntry? taken = null;
        lock (_lock)
        {
            // An end of an earlier start of the program there (a copy that a later follow replaced) says nothing of this one.
            if (!_workers.TryGetValue(from, out var w) || w.Follows != job.Id || ended.Run != w.Runs || !job.Followers.Remove(w)) return;
            w.Follows = 0;
            job.FollowEnded.Add(w.Id);
            w.FollowLive?.TrySetException(new InvalidOperationException($"The program ended on standby {from}."));
            if (w.Job == job.Id) taken = w;
        }
        // Without an error its copy replayed the program to its end (the job is ending): nothing to say.
        if (ended.Error is not null) LogFollowerEnded(_logger, job.Id, from, ended.Error);
        if (taken is not null) await FailJobAsync(job, $"The program failed on {from} (a standby the job took): {ended.Error ?? "it ended before joining"}").ConfigureAwait(false);
        Follow();
    }

    private async Task OnStepReadyAsync(JobEntry job, int index, StepReady r)
    {
        string? ended;
        lock (_lock) ended = job.Ended.Count == 0 ? null : job.Participants[job.Ended.Min()].Participant.Id;
        if (ended is not null)
        {
            await FailJobAsync(job, $"Step {r.Step} started, but the program on {ended} had already ended (the copies of the program took different paths).").ConfigureAwait(false);
            return;
        }
        lock (_lock) JobEntry.Put(job.Ready, r.Step, index, r);
        await TryGoAsync(job, r.Step).ConfigureAwait(false);
    }

    /// <summary>Starts step <paramref name="step"/> once every worker the job holds (and the submitter) is ready.</summary>
    private async Task TryGoAsync(JobEntry job, int step)
    {
        (int Position, StepReady Part)[] ready;
        lock (_lock)
        {
            if (!job.TryTake(job.Ready, step, out ready)) return;
        }
        var reference = ready[0].Part;
        foreach (var (i, x) in ready)
        {
            if (x.Fingerprint != reference.Fingerprint)
            {
                await FailJobAsync(job, $"Plan fingerprint mismatch at step {step}: {job.Participants[i].Participant.Id} built plan {x.Fingerprint} ({x.Description}), " +
                    $"the submitter built {reference.Fingerprint} ({reference.Description}). Every process must run the same program with the same arguments and inputs.")
                    .ConfigureAwait(false);
                return;
            }
        }
        PlacementDecision[] decisions;
        try
        {
            decisions = Place(job, reference);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            await FailJobAsync(job, $"Placement failed: {e.Message}").ConfigureAwait(false);
            return;
        }
        await BroadcastAsync(job, new StepGo(job.Id, step, decisions)).ConfigureAwait(false);
    }

    /// <summary>
    /// Places every parallelism the step uses for the first time in this job; earlier ones stay
    /// (their subtasks hold state: partial solutions, solution sets, cached indexes).
    /// </summary>
    private PlacementDecision[] Place(JobEntry job, StepReady submitter)
    {
        List<Dataflow.Runtime.Extensibility.WorkerInfo> workers;
        lock (_lock) workers = job.Workers();
        var decisions = new List<PlacementDecision>();
        foreach (int p in submitter.Parallelisms.Distinct().Order())
        {
            if (job.Placed.TryGetValue(p, out var earlier) && earlier.Workers.All(w => workers.Any(x => x.Id == w))) continue;
            job.Placer ??= _placement.ForJob(submitter.Placement, submitter.Predictor);
            var decision = job.Placer?.Place(p, workers, null)
                ?? new PlacementDecision(p, "round-robin", Enumerable.Range(0, p).Select(s => workers[s % workers.Count].Id).ToArray(), [], [], []);
            if (decision.Workers.Length != p || decision.Workers.Any(w => workers.All(x => x.Id != w)))
            {
                throw new InvalidOperationException($"The {decision.Policy} policy placed {decision.Workers.Length} subtasks for parallelism {p} on unknown workers.");
            }
            job.Placed[p] = decision;
            decisions.Add(decision);
        }
        return decisions.ToArray();
    }

    /// <summary>At a superstep barrier: the policy may move subtasks (their state moves with them) away from predicted bottlenecks.</summary>
    private PlacementDecision Replace(JobEntry job, PlaceRequest q)
    {
        List<Dataflow.Runtime.Extensibility.WorkerInfo> workers;
        lock (_lock) workers = job.Workers();
        var decision = job.Placer?.Place(q.Parallelism, workers, new Dataflow.Runtime.Extensibility.Placement(q.Current))
            ?? new PlacementDecision(q.Parallelism, "keep", q.Current, [], [], []);
        if (decision.Workers.Length != q.Parallelism || decision.Workers.Any(w => workers.All(x => x.Id != w))) decision = decision with { Workers = q.Current };
        job.Placed[q.Parallelism] = decision;
        return decision;
    }

    private async Task OnStepDoneAsync(JobEntry job, int index, StepDone d)
    {
        lock (_lock) JobEntry.Put(job.Done, d.Step, index, d);
        await TryCompleteAsync(job, d.Step).ConfigureAwait(false);
    }

    private async Task TryCompleteAsync(JobEntry job, int step)
    {
        TaskStatistics[] all;
        lock (_lock)
        {
            if (!job.TryTake(job.Done, step, out var done)) return;
            all = done.SelectMany(x => x.Part.Tasks).ToArray();
            job.Steps++;
        }
        await BroadcastAsync(job, new StepComplete(job.Id, step, all)).ConfigureAwait(false);
    }

    private async Task OnBarrierAsync(JobEntry job, int index, BarrierReport b)
    {
        if (b.Participant != index) throw new ProtocolException($"Barrier report of participant {b.Participant} sent by participant {index}.");
        lock (_lock) JobEntry.Put(job.Barriers, b.Sequence, index, b);
        await TryReleaseAsync(job, b.Sequence).ConfigureAwait(false);
    }

    private async Task TryReleaseAsync(JobEntry job, int sequence)
    {
        BarrierReport[] all;
        lock (_lock)
        {
            if (!job.TryTake(job.Barriers, sequence, out var reports)) return;
            all = reports.Select(x => x.Part).ToArray();
            job.LastSuperstep = $"{all[0].Superstep} of iteration '{all[0].Iteration}'";
        }
        await BroadcastAsync(job, new BarrierRelease(job.Id, sequence, all)).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="m"/> to every participant the job holds now; what the workers get is logged,
    /// so that a worker joining later can replay it.
    /// </summary>
    private async Task BroadcastAsync(JobEntry job, ControlMessage m, bool toSubmitter = true)
    {
        List<ControlChannel> channels;
        List<ControlChannel>? following = null;
        ControlMessage? followed = null;
        lock (_lock)
        {
            // A replaying copy needs the decisions and values, not every task's statistics (only the submitter reports them).
            var logged = job.Submit.MaxWorkers <= 0 ? null : m switch
            {
                StepGo or BarrierRelease or Share or Roster => m,
                StepComplete complete => complete with { Tasks = [] },
                _ => null,
            };
            if (logged is not null) job.Log.Add(logged);
            channels = job.Participants.Skip(toSubmitter ? 0 : 1).Where(p => p.Channel is not null).Select(p => p.Channel!).ToList();
            // Standbys that follow the job get what is logged once they have the log so far; a failure ends them all.
            followed = logged ?? (m as JobFailed);
            if (followed is not null && job.Followers.Count > 0)
            {
                following = job.Followers.Where(f => m is JobFailed || f.FollowLive?.Task.IsCompletedSuccessfully == true).Select(f => f.Channel).ToList();
            }
        }
        foreach (var c in channels) await c.TrySendAsync(m).ConfigureAwait(false);
        if (following is not null)
        {
            foreach (var c in following) await c.TrySendAsync(followed!).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A growing job needs <see cref="AcquireWorkers.Count"/> more workers: takes free registered
    /// workers (asking the resource provider for new ones when too few are free), puts them in vacant
    /// positions (else new ones), starts the job on them with the log to replay, and sends every
    /// participant the new roster.
    /// </summary>
    private async Task AcquireAsync(JobEntry job, AcquireWorkers a)
    {
        var joiners = new List<(int Position, WorkerEntry Worker)>();
        var following = new List<WorkerEntry>();
        var unfollow = new List<(int Job, WorkerEntry Worker)>();
        try
        {
            if (job.Submit.MaxWorkers > 0 && job.Active - 1 + a.Count > job.Submit.MaxWorkers)
            {
                throw new ProtocolException($"The job asked for {a.Count} more workers beyond its maximum of {job.Submit.MaxWorkers}.");
            }
            int free;
            lock (_lock) free = _workers.Values.Count(w => w.Job == 0 && !w.Lost && !w.Retired);
            if (free < a.Count)
            {
                if (ResolveProvider() is not { } provider) throw new InvalidOperationException($"{a.Count} more workers are needed, {free} are free, and there is no resource provider.");
                await provider.AcquireAsync(a.Count - free, _stop.Token).ConfigureAwait(false);
            }
            lock (_lock)
            {
                if (job.State != "running") return;
                job.Acquisitions = Math.Max(job.Acquisitions, a.Sequence);
                // The job's own standbys first (they have replayed it), then idle workers, then other jobs' standbys.
                var take = _workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired)
                    .OrderBy(w => w.Follows == job.Id ? 0 : w.Follows == 0 ? 1 : 2).ThenBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).Take(a.Count).ToList();
                if (take.Count < a.Count) throw new InvalidOperationException($"Only {take.Count} of {a.Count} workers could be acquired.");
                foreach (var w in take)
                {
                    w.Job = job.Id;
                    if (w.Follows == job.Id)
                    {
                        // Stays among the followers (getting the job's messages) until it becomes a participant below.
                        following.Add(w);
                    }
                    else if (w.Follows != 0)
                    {
                        unfollow.Add((w.Follows, Unfollow(w)));
                    }
                    // No channel yet: broadcasts skip the joiner until it has the log (below).
                    int position = job.Participants.FindIndex(1, p => p.Participant.IsVacant());
                    var entry = (new Participant(w.Id, w.Info.Host, w.Info.DataPort, w.Info.Slots), (ControlChannel?)null, (WorkerEntry?)w);
                    if (position < 0)
                    {
                        position = job.Participants.Count;
                        job.Participants.Add(entry);
                    }
                    else
                    {
                        job.Participants[position] = entry;
                    }
                    joiners.Add((position, w));
                }
            }
            // Another job's standby taken here stops following it (its copy of that program ends).
            foreach (var (other, w) in unfollow) await w.Channel.TrySendAsync(new JobEnded(other)).ConfigureAwait(false);
            foreach (var (position, w) in joiners)
            {
                if (following.Contains(w)) continue;
                await w.Channel.SendAsync(new StartJob(job.Id, job.Submit.Entry, job.Submit.Args, job.Submit.Files, job.InitialRoster, position,
                    job.Parallelism, job.Submit.MaxWorkers, a.Sequence, w.Id)).ConfigureAwait(false);
            }
            // A standby still being sent the log so far is waited for (the coordinator's part: no replay waits here).
            foreach (var w in following) await w.FollowLive!.Task.WaitAsync(TimeSpan.FromMinutes(1), _stop.Token).ConfigureAwait(false);
            // The new copies replay the job so far: the log, then whatever was logged meanwhile, until nothing new came;
            // from then on they get broadcasts like everyone (in order: the last check and going live happen under one lock).
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Participant[] roster;
            int sent = 0;
            while (true)
            {
                ControlMessage[] tail;
                lock (_lock)
                {
                    if (job.State != "running") throw new ClusterJobException("The job ended while workers joined it.");
                    tail = job.Log.Skip(sent).ToArray();
                    sent += tail.Length;
                    if (tail.Length == 0)
                    {
                        foreach (var (position, w) in joiners) job.Participants[position] = (job.Participants[position].Participant, w.Channel, w);
                        // Standbys taken become participants here (under the lock: no message is missed or sent twice).
                        foreach (var w in following)
                        {
                            job.Followers.Remove(w);
                            w.Follows = 0;
                        }
                        roster = job.Participants.Select(p => p.Participant).ToArray();
                        job.Joining = (joiners.Select(j => j.Worker.Id).ToHashSet(), caughtUp);
                        break;
                    }
                }
                foreach (var (_, w) in joiners)
                {
                    if (following.Contains(w)) continue; // it got these as a standby
                    foreach (var m in tail) await w.Channel.SendAsync(m).ConfigureAwait(false);
                }
            }
            var message = new Roster(job.Id, a.Sequence, roster, following.Select(w => w.Id).ToArray());
            foreach (var (_, w) in joiners) await w.Channel.SendAsync(message).ConfigureAwait(false);
            // The others go on (to the move) once every new copy has caught up.
            await caughtUp.Task.WaitAsync(TimeSpan.FromMinutes(5), _stop.Token).ConfigureAwait(false);
            List<ControlChannel> others;
            lock (_lock)
            {
                job.Joining = null;
                job.Log.Add(message);
                others = job.Participants.Where(p => p.Channel is not null && joiners.All(j => j.Worker != p.Worker)).Select(p => p.Channel!)
                    .Concat(job.Followers.Where(f => f.FollowLive?.Task.IsCompletedSuccessfully == true).Select(f => f.Channel)).ToList();
            }
            LogWorkersJoined(_logger, job.Id, string.Join(",", joiners.Select(j => j.Worker.Id)));
            foreach (var c in others) await c.TrySendAsync(message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever went wrong (a provider that cannot start workers, a joiner that never caught up), the job
            // fails instead of waiting for a roster that will not come; joiners not yet live are told too.
            string reason = e is ClusterJobException ? e.Message : $"Acquiring {a.Count} worker(s) failed: {e.Message}";
            await FailJobAsync(job, reason).ConfigureAwait(false);
            foreach (var (_, w) in joiners) await w.Channel.TrySendAsync(new JobFailed(job.Id, reason)).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock: the standby stops following its job (the caller sends it that job's JobEnded); returns it.</summary>
    private WorkerEntry Unfollow(WorkerEntry w)
    {
        if (_jobs.TryGetValue(w.Follows, out var followed)) followed.Followers.Remove(w);
        w.Follows = 0;
        w.FollowLive?.TrySetException(new InvalidOperationException($"{w.Id} was taken by another job."));
        return w;
    }

    /// <summary>
    /// Gives each running job that may grow as many following standbys (<see cref="CoordinatorOptions.StandbysFollow"/>)
    /// as it may still acquire, from the free workers that follow no job, and starts them following it.
    /// </summary>
    private void Follow()
    {
        if (!_options.StandbysFollow) return;
        var start = new List<(JobEntry Job, WorkerEntry Worker, int After, TaskCompletionSource Live, int Run)>();
        lock (_lock)
        {
            var idle = _workers.Values.Where(w => w.Job == 0 && w.Follows == 0 && !w.Lost && !w.Retired)
                .OrderBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).ToList();
            foreach (var job in _jobs.Values.Where(j => j.State == "running" && j.Submit.MaxWorkers > 0).OrderBy(j => j.Id))
            {
                int room = job.Submit.MaxWorkers - (job.Active - 1) - job.Followers.Count;
                for (; room > 0; room--)
                {
                    var w = idle.FirstOrDefault(x => !job.FollowEnded.Contains(x.Id));
                    if (w is null) break;
                    idle.Remove(w);
                    w.Follows = job.Id;
                    w.FollowLive = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    job.Followers.Add(w);
                    start.Add((job, w, job.Acquisitions, w.FollowLive, ++w.Runs));
                }
            }
        }
        // In the background: each is sent the job's log so far, which the caller (often a connection's reader) does not wait for.
        foreach (var (job, w, after, live, run) in start) _ = Task.Run(() => StartFollowingAsync(job, w, after, live, run));
    }

    /// <summary>
    /// Starts the job's program on a standby with no position (<see cref="StartJob.Follow"/>), sends it the job's log so
    /// far, and from then on it gets the job's logged messages as they come (<see cref="BroadcastAsync"/>).
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="w">The standby.</param>
    /// <param name="after">The job's last acquisition when the standby was given to it: it joins in a later one.</param>
    /// <param name="live">This follow's <see cref="WorkerEntry.FollowLive"/> (a later follow of the same worker has another).</param>
    /// <param name="run">This start's number (<see cref="StartJob.Run"/>).</param>
    private async Task StartFollowingAsync(JobEntry job, WorkerEntry w, int after, TaskCompletionSource live, int run)
    {
        try
        {
            await w.Channel.SendAsync(new StartJob(job.Id, job.Submit.Entry, job.Submit.Args, job.Submit.Files, job.InitialRoster, -1,
                job.Parallelism, job.Submit.MaxWorkers, StartJob.Follow, w.Id, after, run)).ConfigureAwait(false);
            int sent = 0;
            while (true)
            {
                ControlMessage[] tail;
                lock (_lock)
                {
                    // Ended meanwhile, lost, or taken by another job: whatever was sent to it before is ended by the JobEnded sent after.
                    if (job.State != "running" || w.FollowLive != live || w.Follows != job.Id) break;
                    tail = job.Log.Skip(sent).ToArray();
                    sent += tail.Length;
                    if (tail.Length == 0)
                    {
                        live.TrySetResult();
                        return;
                    }
                }
                foreach (var m in tail) await w.Channel.SendAsync(m).ConfigureAwait(false);
            }
            live.TrySetException(new InvalidOperationException($"Job {job.Id} ended before {w.Id} followed it."));
            // Its JobEnded may have gone out before the StartJob above: this one comes after it.
            if (w.Job != job.Id) await w.Channel.TrySendAsync(new JobEnded(job.Id)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Its connection broke: the worker is lost (the heartbeat monitor says so); the job goes on without it.
            live.TrySetException(e);
            lock (_lock)
            {
                if (w.FollowLive == live && w.Follows == job.Id)
                {
                    job.Followers.Remove(w);
                    w.Follows = 0;
                }
            }
        }
    }

    /// <summary>The job left these positions' workers without anything to do: they leave it and go back to the pool or the provider.</summary>
    private async Task ReleaseAsync(JobEntry job, int[] positions)
    {
        var released = new List<WorkerEntry>();
        lock (_lock)
        {
            foreach (int position in positions)
            {
                if (position < 1 || position >= job.Participants.Count) throw new ProtocolException($"Release of position {position}.");
                if (job.Participants[position].Worker is not { } w) continue;
                job.Participants[position] = (Participant.Vacant, null, null);
                job.Ended.Remove(position);
                if (w.Job == job.Id) w.Job = 0;
                released.Add(w);
            }
        }
        if (released.Count == 0) return;
        LogWorkersReleased(_logger, job.Id, string.Join(",", released.Select(w => w.Id)));
        // Whatever waited for them only waits for the others now.
        int[] steps, done, barriers;
        lock (_lock)
        {
            steps = job.Ready.Keys.ToArray();
            done = job.Done.Keys.ToArray();
            barriers = job.Barriers.Keys.ToArray();
        }
        foreach (int step in steps) await TryGoAsync(job, step).ConfigureAwait(false);
        foreach (int step in done) await TryCompleteAsync(job, step).ConfigureAwait(false);
        foreach (int sequence in barriers) await TryReleaseAsync(job, sequence).ConfigureAwait(false);
        ReturnToPool(job, released);
        // The ones kept in the pool follow the job again (it may grow again) or another one.
        Follow();
    }

    /// <summary>Released workers: up to <see cref="CoordinatorOptions.KeepWorkers"/> stay free, the provider takes the others back.</summary>
    private void ReturnToPool(JobEntry job, List<WorkerEntry> released)
    {
        if (ResolveProvider() is { } provider)
        {
            // Up to the standby count they stay as free warm workers; the provider stops the others (or takes them back)
            // in the background: the job goes on meanwhile.
            lock (_lock)
            {
                int excess = _workers.Values.Count(w => !w.Lost && !w.Retired) - _options.KeepWorkers;
                released = released.Take(Math.Max(0, excess)).ToList();
                foreach (var w in released) w.Retired = true;
            }
            if (released.Count == 0) return;
            _ = Task.Run(async () =>
            {
                try
                {
                    await provider.ReleaseAsync(released.Select(w => new Dataflow.Runtime.Extensibility.WorkerInfo(w.Id, w.Info.Slots) { Pid = w.Info.Pid }), _stop.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
                {
                    LogReleaseFailed(_logger, job.Id, e.Message);
                }
            });
        }
    }

    private async Task FailJobAsync(JobEntry job, string message)
    {
        lock (_lock)
        {
            if (job.State != "running") return;
            job.State = "failed";
        }
        LogJobFailed(_logger, job.Id, message);
        lock (_lock) job.Joining?.Done.TrySetException(new InvalidOperationException(message));
        await BroadcastAsync(job, new JobFailed(job.Id, message)).ConfigureAwait(false);
    }

    private async Task EndJobAsync(JobEntry job, string state)
    {
        List<WorkerEntry> workers;
        lock (_lock)
        {
            if (job.State is "running" or "starting") job.State = state;
            workers = job.Participants.Where(p => p.Worker is not null).Select(p => p.Worker!).ToList();
            job.Log.Clear();
            // Its standbys stop following it (their copies of the program end) and are free for other jobs.
            foreach (var f in job.Followers)
            {
                f.Follows = 0;
                f.FollowLive?.TrySetException(new InvalidOperationException($"Job {job.Id} ended."));
                workers.Add(f);
            }
            job.Followers.Clear();
        }
        foreach (var w in workers)
        {
            await w.Channel.TrySendAsync(new JobEnded(job.Id)).ConfigureAwait(false);
            lock (_lock)
            {
                if (w.Job == job.Id) w.Job = 0;
            }
        }
        LogJobEnded(_logger, job.Id, job.State, Stopwatch.GetElapsedTime(job.StartTicks).TotalSeconds);
        Follow();
        lock (_lock)
        {
            // Keep the last 100 ended jobs for `status`.
            foreach (var old in _jobs.Values.Where(j => j.State is not ("running" or "starting")).OrderBy(j => j.Id).SkipLast(100).Select(j => j.Id).ToList()) _jobs.Remove(old);
        }
    }

    /// <summary>The workers and jobs now (what <c>dataflow status</c> prints).</summary>
    public StatusReply Status()
    {
        lock (_lock)
        {
            var workers = _workers.Values.OrderBy(w => w.Id, StringComparer.Ordinal).Select(w => new WorkerStatus(w.Id, w.Info.Host, w.Info.DataPort, w.Info.Slots, w.Info.Pid,
                w.Job, w.Cpu, w.Memory, Stopwatch.GetElapsedTime(w.LastHeartbeat).TotalSeconds, w.Follows)).ToArray();
            var jobs = _jobs.Values.OrderBy(j => j.Id).Select(j => new JobStatus(j.Id, j.Submit.Entry, j.State,
                j.Workers().Select(w => w.Id).ToArray(), j.Steps, j.LastSuperstep ?? "")).ToArray();
            return new StatusReply(workers, jobs);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_monitor is not null) await _monitor.ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Id} registered: {Host}:{Port}, {Slots} slots, pid {Pid}")]
    private static partial void LogWorkerRegistered(ILogger logger, string id, string host, int port, int slots, int pid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Id} lost: {Reason}")]
    private static partial void LogWorkerLost(ILogger logger, string id, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ({Entry}) started on {Workers}")]
    private static partial void LogJobStarted(ILogger logger, int job, string entry, string workers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: workers {Workers} joined")]
    private static partial void LogWorkersJoined(ILogger logger, int job, string workers);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: workers {Workers} released")]
    private static partial void LogWorkersReleased(ILogger logger, int job, string workers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: standby {Worker} stopped following it: {Reason}")]
    private static partial void LogFollowerEnded(ILogger logger, int job, string worker, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: releasing workers failed: {Message}")]
    private static partial void LogReleaseFailed(ILogger logger, int job, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} failed: {Message}")]
    private static partial void LogJobFailed(ILogger logger, int job, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ended ({State}) after {Seconds:F1} s")]
    private static partial void LogJobEnded(ILogger logger, int job, string state, double seconds);
}
