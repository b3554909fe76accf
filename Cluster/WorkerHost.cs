using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Cluster;

/// <summary>Settings of a worker process.</summary>
public sealed class WorkerOptions
{
    /// <summary>The coordinator's address.</summary>
    public IPEndPoint Coordinator { get; set; } = new(IPAddress.Loopback, 7077);

    /// <summary>The cluster's shared secret.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>Subtasks it runs at once.</summary>
    public int Slots { get; set; } = 1;

    /// <summary>The address other processes reach this worker's data plane at.</summary>
    public IPAddress Advertise { get; set; } = IPAddress.Loopback;

    /// <summary>The port of the data plane (0: any free one).</summary>
    public int DataPort { get; set; }

    /// <summary>Where job files are cached and laid out.</summary>
    public string WorkDirectory { get; set; } = Path.Combine(PrivateDirectory.UserRoot, "worker");

    /// <summary>How often it sends a heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How long the worker keeps trying to reach its coordinator — at start and after losing it — before
    /// it gives up (with a backoff of up to 5 s between attempts; zero: give up at once). A standalone
    /// pool survives a restart of its coordinator this way: the workers register with the new one.
    /// </summary>
    public TimeSpan ReconnectTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Extra metrics sent with each heartbeat (names and values), e.g. from a node monitor.</summary>
    public Func<(string[] Names, double[] Values)>? Metrics { get; set; }
}

/// <summary>Runs a job's program in this process: the job's folder, its entry assembly, arguments and the session.</summary>
public delegate Task<int> ProgramRunner(string directory, string entry, string[] args, ClusterSession session);

/// <summary>
/// A worker process (docs/architecture.md §7): registers its slots with the coordinator, sends heartbeats,
/// fetches the files of the jobs it is given (cached by content hash), runs each job's program in
/// worker mode and exchanges record batches with the other participants directly.
/// </summary>
public sealed partial class WorkerHost : IAsyncDisposable
{
    private readonly WorkerOptions _options;
    private readonly ProgramRunner _runner;
    private readonly ILogger _logger;
    private readonly FileStore _files;
    private readonly DataPlane _data;
    private readonly ConcurrentDictionary<int, JobRun> _jobs = new();
    private ControlChannel? _channel;
    private readonly MemoryGuard _memory = new();

    /// <summary>Creates a worker; <see cref="RunAsync"/> connects it.</summary>
    public WorkerHost(WorkerOptions options, ProgramRunner runner, ILogger? logger = null)
    {
        _options = options;
        _runner = runner;
        _logger = logger ?? NullLogger.Instance;
        // Private (0700): the job folders below hold the programs this worker runs.
        _files = new FileStore(Path.Combine(PrivateDirectory.Create(options.WorkDirectory), "cache"));
        _data = new DataPlane(new IPEndPoint(options.Advertise, options.DataPort), options.Secret, _logger);
    }

    /// <summary>The worker's id once registered.</summary>
    public string? Id { get; private set; }

    private sealed class JobRun(StartJob start)
    {
        public StartJob Start { get; } = start;
        public HashSet<string> Missing { get; } = new();
        public TaskCompletionSource Files { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ClusterSession? Session { get; set; }
        public string? EndedEarly { get; set; }
        /// <summary>Messages of the job that came before its session existed (a joining worker's log to replay, or the first live ones).</summary>
        public List<ControlMessage> Pending { get; } = new();
    }

    /// <summary>
    /// Registers and serves until the coordinator tells it to shut down or <paramref name="cancellationToken"/>
    /// fires (then it tells the coordinator it leaves). A coordinator that cannot be reached or is lost
    /// is retried for <see cref="WorkerOptions.ReconnectTimeout"/>; the jobs of a lost coordinator fail here.
    /// </summary>
    /// <returns>Why the worker stopped.</returns>
    /// <exception cref="IOException">The coordinator could not be reached within the reconnect timeout.</exception>
    public async Task<string> RunAsync(CancellationToken cancellationToken)
    {
        _data.Start();
        long? since = null;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await ServeCoordinatorAsync(() =>
                {
                    since = null;
                    delay = TimeSpan.FromMilliseconds(100);
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ProtocolException && !cancellationToken.IsCancellationRequested)
            {
                since ??= Stopwatch.GetTimestamp();
                var left = _options.ReconnectTimeout - Stopwatch.GetElapsedTime(since.Value);
                if (left <= TimeSpan.Zero) throw new IOException($"{e.Message} (gave up after {_options.ReconnectTimeout.TotalSeconds:0} s)", e);
                if (delay == TimeSpan.FromMilliseconds(100)) LogReconnecting(_logger, _options.Coordinator.ToString(), e.Message, _options.ReconnectTimeout.TotalSeconds);
                await Task.Delay(delay < left ? delay : left, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    /// <summary>One connection to the coordinator: register, serve; returns the reason of a clean stop, throws when the connection is lost.</summary>
    private async Task<string> ServeCoordinatorAsync(Action registeredCallback, CancellationToken cancellationToken)
    {
        var channel = await ControlChannel.ConnectAsync(_options.Coordinator, _options.Secret, cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? heartbeats = null;
        string reason = "the coordinator closed the connection";
        try
        {
            await channel.SendAsync(new RegisterWorker(Environment.MachineName, _options.Advertise.ToString(), _data.EndPoint.Port, _options.Slots,
                Environment.ProcessId), cancellationToken).ConfigureAwait(false);
            if (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is not Registered registered)
            {
                throw new ProtocolException("The coordinator did not accept the registration.");
            }
            _channel = channel;
            Id = registered.WorkerId;
            LogRegistered(_logger, Id, _data.EndPoint.ToString());
            registeredCallback();
            heartbeats = HeartbeatAsync(channel, stop.Token);
            try
            {
                while (await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) is { } m)
                {
                    if (m is Shutdown shutdown)
                    {
                        LogShutdown(_logger, shutdown.Reason);
                        return shutdown.Reason;
                    }
                    Dispatch(m);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped here (Ctrl-C, SIGTERM): say so, so the coordinator does not count it as lost.
                reason = "the worker was stopped";
                await channel.TrySendAsync(new Leaving("shut down (stopped on its host)")).ConfigureAwait(false);
                throw;
            }
            throw new IOException("The coordinator closed the connection.");
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ProtocolException)
        {
            reason = e.Message;
            throw;
        }
        finally
        {
            stop.Cancel();
            if (heartbeats is not null)
            {
                try
                {
                    await heartbeats.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
                {
                }
            }
            foreach (var job in _jobs.Values) job.Session?.Fail($"The worker lost its coordinator: {reason}.");
            await channel.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void Dispatch(ControlMessage m)
    {
        switch (m)
        {
            case StartJob s:
                var run = new JobRun(s);
                lock (_jobs)
                {
                    // A worker the job released may be acquired by it again (under the lock: not between the old run's removal and unregistering).
                    _data.ReopenJob(s.Job);
                    _jobs[s.Job] = run;
                }
                _ = RunJobAsync(run);
                break;
            case FileChunk c:
                bool complete;
                try
                {
                    complete = _files.Append(c);
                }
                catch (Exception e) when (e is ProtocolException or IOException or UnauthorizedAccessException)
                {
                    // A bad or unwritable file fails the jobs that need it, not the worker.
                    foreach (var j in _jobs.Values)
                    {
                        bool needs;
                        lock (j.Missing) needs = j.Missing.Contains(c.Hash);
                        if (needs) j.Files.TrySetException(new IOException($"Receiving file {c.Hash} failed: {e.Message}", e));
                    }
                    break;
                }
                if (complete)
                {
                    foreach (var j in _jobs.Values)
                    {
                        bool all;
                        lock (j.Missing) all = j.Missing.Remove(c.Hash) && j.Missing.Count == 0;
                        if (all) j.Files.TrySetResult();
                    }
                }
                break;
            case StepGo or StepComplete or BarrierRelease or Share or JobFailed or JobEnded or Roster or Recover:
                int id = m switch
                {
                    StepGo x => x.Job, StepComplete x => x.Job, BarrierRelease x => x.Job, Share x => x.Job, JobFailed x => x.Job, JobEnded x => x.Job,
                    Roster x => x.Job, Recover x => x.Job,
                    _ => 0,
                };
                if (!_jobs.TryGetValue(id, out var job)) return; // a job already over here
                string? endedEarly = null;
                lock (job)
                {
                    // In order, under the job's lock: the session may be starting on another thread with the pending ones.
                    if (job.Session is { } session) session.Deliver(m);
                    else if (m is JobFailed or JobEnded) endedEarly = job.EndedEarly = m is JobFailed f ? f.Message : "ended";
                    else job.Pending.Add(m);
                }
                if (endedEarly is not null) job.Files.TrySetException(new ClusterJobException(endedEarly));
                break;
            default:
                throw new ProtocolException($"Unexpected {m.GetType().Name} from the coordinator.");
        }
    }

    private async Task RunJobAsync(JobRun run)
    {
        var s = run.Start;
        // The connection the job came on: if it is lost the job fails, and a new connection to a restarted coordinator does not know it.
        var channel = _channel!;
        string directory = Path.Combine(_options.WorkDirectory, "jobs", $"job-{s.Job}-{Guid.NewGuid():N}");
        string? error = null;
        int code = 1;
        try
        {
            lock (run.Missing)
            {
                foreach (var f in s.Files)
                {
                    if (!_files.Has(f.Hash)) run.Missing.Add(f.Hash);
                }
                if (run.Missing.Count == 0) run.Files.TrySetResult();
            }
            string[] missing;
            lock (run.Missing) missing = run.Missing.ToArray();
            if (missing.Length > 0) await channel.SendAsync(new NeedFiles(missing)).ConfigureAwait(false);
            await run.Files.Task.ConfigureAwait(false);
            _files.Materialize(s.Files, directory);
            var session = new ClusterSession(s, channel, _data);
            string? early;
            lock (run)
            {
                foreach (var m in run.Pending) session.Deliver(m);
                run.Pending.Clear();
                run.Session = session;
                early = run.EndedEarly;
            }
            if (early is not null) session.Fail(early);
            await channel.SendAsync(new JobLoaded(s.Job)).ConfigureAwait(false);
            LogJobStarted(_logger, s.Job, s.Entry);
            code = await _runner(directory, s.Entry, s.Args, session).ConfigureAwait(false);
        }
        catch (ClusterJobException)
        {
            // The job failed elsewhere (or ended); the coordinator already knows.
        }
        catch (WorkerReleasedException)
        {
            // The job needs this worker no more (the session knows).
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            LogProgramFailed(_logger, s.Job, error);
        }
        finally
        {
            run.Session?.Detach();
            // Unless the job already took this worker back (a new run of it replaced this one).
            bool replaced;
            lock (_jobs)
            {
                replaced = !_jobs.TryRemove(new KeyValuePair<int, JobRun>(s.Job, run));
                if (!replaced) _data.UnregisterJob(s.Job);
            }
            // A released worker is no longer part of the job, nor is a run that a newer one replaced: they say nothing more about it.
            if (run.Session?.Released != true && !replaced)
            {
                await channel.TrySendAsync(new ProgramEnded(s.Job, code, error, s.Run)).ConfigureAwait(false);
            }
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
            LogJobEnded(_logger, s.Job);
        }
    }

    private async Task HeartbeatAsync(ControlChannel channel, CancellationToken token)
    {
        var process = Process.GetCurrentProcess();
        var lastCpu = process.TotalProcessorTime;
        long last = Stopwatch.GetTimestamp();
        while (!token.IsCancellationRequested)
        {
            await Task.Delay(_options.HeartbeatInterval, token).ConfigureAwait(false);
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            double wall = Stopwatch.GetElapsedTime(last).TotalSeconds;
            double utilization = Math.Clamp((cpu - lastCpu).TotalSeconds / Math.Max(1e-9, wall * Environment.ProcessorCount), 0, 1);
            lastCpu = cpu;
            last = Stopwatch.GetTimestamp();
            if (_memory.Check(process.WorkingSet64) is { } over) StopJobsForMemory(over);
            var (names, values) = _options.Metrics?.Invoke() ?? ([], []);
            await channel.SendAsync(new Heartbeat(utilization, process.WorkingSet64, names, values), token).ConfigureAwait(false);
        }
    }

    /// <summary>Fails every job running here, everywhere, with why: better than the kernel ending the worker and every job on it without a word.</summary>
    private void StopJobsForMemory(string over)
    {
        foreach (var job in _jobs.Values)
        {
            if (job.Session is not { IsFailed: false } session) continue;
            var message = $"Worker {Id} stopped job {job.Start.Job} before the kernel's OOM killer would end the worker: {over}. Give the workers more memory, or the job more workers.";
            LogMemory(_logger, message);
            session.FailEverywhere(message);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var job in _jobs.Values) job.Session?.Fail("The worker is shutting down.");
        if (_channel is not null) await _channel.DisposeAsync().ConfigureAwait(false);
        await _data.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered as {Id}, data plane at {Data}")]
    private static partial void LogRegistered(ILogger logger, string id, string data);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No coordinator at {Coordinator} ({Reason}); trying again for up to {Seconds} s")]
    private static partial void LogReconnecting(ILogger logger, string coordinator, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Message}")]
    private static partial void LogMemory(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shut down by the coordinator: {Reason}")]
    private static partial void LogShutdown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: running {Entry}")]
    private static partial void LogJobStarted(ILogger logger, int job, string entry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: the program failed: {Error}")]
    private static partial void LogProgramFailed(ILogger logger, int job, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: done")]
    private static partial void LogJobEnded(ILogger logger, int job);
}
