using System.Diagnostics;
using System.Net;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dataflow.Cluster;

/// <summary>
/// The coordinator of docs/architecture.md §7: keeps the registry of workers and their heartbeats, receives
/// submitted programs and their files, assigns workers to jobs, and runs the protocol that keeps
/// all copies of a program in step — step start (with the plan fingerprint check) and end, the
/// iteration barriers, shared results — and fails a job, naming the worker and the last completed
/// superstep, when one of its workers is lost. It never runs user code; it survives any job.
/// </summary>
/// <remarks>
/// This class accepts connections and routes each message to the part whose concern it is:
/// <see cref="WorkerRegistry"/> (workers, heartbeats), <see cref="JobLifecycle"/> (submission to end),
/// <see cref="StepRendezvous"/> (steps, barriers, shared values, placement) and <see cref="StandbyPool"/>
/// (acquiring, following and releasing workers). They share one lock (<see cref="CoordinatorState"/>).
/// </remarks>
public sealed class Coordinator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly CoordinatorState _s;
    private readonly FrameServer _server;
    private Task? _monitor;

    /// <summary>Creates a coordinator; call <see cref="Start"/>. Prefer <c>services.AddDataflowCluster()</c>, which resolves its services.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="logger">Where it logs, or null.</param>
    /// <param name="placement">Places the jobs' subtasks with the policies programs choose (default: the built-in policies only).</param>
    public Coordinator(CoordinatorOptions options, ILogger? logger = null, PlacementService? placement = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var log = logger ?? NullLogger.Instance;
        _s = new CoordinatorState(options, log, placement ?? new PlacementService([]), _stop.Token) { Dispatch = OnParticipantMessageAsync };
        _server = new FrameServer(options.Listen, options.Secret, ServeAsync, log, ControlChannel.MaxFrameBytes);
    }

    /// <summary>The settings.</summary>
    public CoordinatorOptions Options => _s.Options;

    /// <summary>The address it listens on.</summary>
    public IPEndPoint EndPoint => _server.EndPoint;

    /// <summary>Connections dropped for a bad secret or a protocol violation.</summary>
    public int RejectedConnections => _server.Rejected;

    /// <summary>The registered workers.</summary>
    public int WorkerCount
    {
        get
        {
            lock (_s.Lock) return _s.Workers.Count;
        }
    }

    /// <summary>Raised for every worker heartbeat (worker id, its metrics): feeds metric histories and traces.</summary>
    public event Action<string, Heartbeat>? HeartbeatReceived
    {
        add => _s.HeartbeatReceived += value;
        remove => _s.HeartbeatReceived -= value;
    }

    /// <summary>Raised for every statistics event a job's submitter forwards (job id, program, one JSON line of the <c>--stats</c> format): feeds the dashboard.</summary>
    public event Action<int, string, string>? JobEventReceived
    {
        add => _s.JobEventReceived += value;
        remove => _s.JobEventReceived -= value;
    }

    /// <summary>The process ids the registered workers gave.</summary>
    public IReadOnlyList<int> RegisteredPids()
    {
        lock (_s.Lock) return _s.Workers.Values.Select(w => w.Info.Pid).ToList();
    }

    /// <summary>The registered workers not running a job.</summary>
    public IReadOnlyList<WorkerInfo> FreeWorkers()
    {
        lock (_s.Lock) return _s.Workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired).Select(w => new WorkerInfo(w.Id, w.Info.Slots)).ToList();
    }

    /// <summary>Starts accepting connections and watching heartbeats.</summary>
    public void Start()
    {
        _server.Start();
        _monitor = _s.Registry.MonitorAsync();
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

    /// <summary>Completes when a client asked the cluster to stop (<c>dataflow stop</c>): the workers were told to exit; dispose the coordinator next.</summary>
    public Task StopRequested => _stopRequested.Task;

    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Stops the cluster: running jobs fail (their submitters hear why), every worker is told to exit
    /// (it does not reconnect), the client gets the status of what was stopped, and
    /// <see cref="StopRequested"/> completes.
    /// </summary>
    private async Task StopClusterAsync(ControlChannel client, string reason, CancellationToken token)
    {
        CoordinatorLog.LogStopping(_s.Logger, reason);
        var status = Status();
        List<JobEntry> running;
        List<WorkerEntry> workers;
        lock (_s.Lock)
        {
            running = _s.Jobs.Values.Where(j => j.State == JobState.Running).ToList();
            workers = _s.Workers.Values.ToList();
            // Leaving on request: their connections closing next are not losses.
            foreach (var w in workers) w.Leaving = "stopped with the cluster";
        }
        foreach (var job in running) await _s.Lifecycle.FailJobAsync(job, $"The cluster was stopped ({reason}).").ConfigureAwait(false);
        foreach (var w in workers) await w.Channel.TrySendAsync(new Shutdown(reason)).ConfigureAwait(false);
        await client.SendAsync(status, token).ConfigureAwait(false);
        _stopRequested.TrySetResult();
    }

    /// <summary>The workers and jobs now (what <c>dataflow status</c> prints).</summary>
    public StatusReply Status() => _s.Lifecycle.Status();

    private async Task ServeAsync(FrameConnection connection, CancellationToken token)
    {
        var channel = new ControlChannel(connection);
        var first = await channel.ReceiveAsync(token).ConfigureAwait(false);
        switch (first)
        {
            case RegisterWorker r: await _s.Registry.ServeWorkerAsync(channel, r, token).ConfigureAwait(false); break;
            case SubmitJob s: await _s.Lifecycle.ServeSubmitterAsync(channel, s, token).ConfigureAwait(false); break;
            case StatusRequest: await channel.SendAsync(Status(), token).ConfigureAwait(false); break;
            case StopCluster stop: await StopClusterAsync(channel, stop.Reason, token).ConfigureAwait(false); break;
            case null: return;
            default: throw new ProtocolException($"Unexpected first message {first.GetType().Name}.");
        }
    }

    private async Task OnParticipantMessageAsync(ControlMessage m, string from)
    {
        JobEntry? job;
        int jobId = m switch
        {
            StepReady x => x.Job, StepDone x => x.Job, StepFailed x => x.Job, BarrierReport x => x.Job, Share x => x.Job,
            ProgramEnded x => x.Job, JobLoaded x => x.Job, MoveDone x => x.Job, PlaceRequest x => x.Job,
            AcquireWorkers x => x.Job, ReleaseWorkers x => x.Job, Joined x => x.Job, CheckpointWritten x => x.Job, Recoverable x => x.Job,
            _ => throw new ProtocolException($"Unexpected {m.GetType().Name} from {from}."),
        };
        lock (_s.Lock) _s.Jobs.TryGetValue(jobId, out job);
        if (job is null || job.State != JobState.Running) return; // a message of a job that already ended
        int index;
        lock (_s.Lock) index = job.IndexOf(from);
        if (index < 0)
        {
            if (m is ProgramEnded followerEnded) await _s.Standbys.OnFollowerEndedAsync(job, from, followerEnded).ConfigureAwait(false);
            return; // not (or no longer: released) part of the job
        }
        // The end of an earlier start of the program on this worker (a standby's copy that a recovery replaced) says nothing of this one.
        if (m is ProgramEnded earlier && earlier.Run > 0)
        {
            lock (_s.Lock)
            {
                if (job.Participants[index].Worker is { } w && earlier.Run < w.Runs) return;
            }
        }
        // After a recovery, what the copies sent before it (numbered at most the recovery's base) is void.
        int? number = m switch
        {
            StepReady x => x.Step, StepDone x => x.Step, StepFailed x => x.Step, BarrierReport x => x.Sequence, Share x => x.Sequence,
            MoveDone x => x.Epoch, AcquireWorkers x => x.Sequence, _ => null,
        };
        int generation;
        lock (_s.Lock) generation = job.Generation;
        if (generation > 0 && number <= Recover.Base(generation)) return;
        switch (m)
        {
            case StepReady r: await _s.Steps.OnStepReadyAsync(job, index, r).ConfigureAwait(false); break;
            case StepDone d: await _s.Steps.OnStepDoneAsync(job, index, d).ConfigureAwait(false); break;
            case StepFailed f when f.Transport:
                // A broken connection is usually the symptom of a lost worker, which explains it better.
                FailUnlessExplained(job, f.Message);
                break;
            case StepFailed f:
                await _s.Lifecycle.FailJobAsync(job, f.Message).ConfigureAwait(false);
                break;
            case BarrierReport b: await _s.Steps.OnBarrierAsync(job, index, b).ConfigureAwait(false); break;
            case Share s:
                await _s.Steps.BroadcastAsync(job, s, toSubmitter: false).ConfigureAwait(false);
                break;
            case PlaceRequest q when index == 0:
                await job.Participants[0].Channel!.TrySendAsync(new PlaceReply(job.Id, q.Superstep, _s.Steps.Replace(job, q))).ConfigureAwait(false);
                break;
            case AcquireWorkers a when index == 0:
                _ = Task.Run(() => _s.Standbys.AcquireAsync(job, a));
                break;
            case Joined:
                lock (_s.Lock)
                {
                    if (job.Joining is { } joining && joining.Waiting.Remove(from) && joining.Waiting.Count == 0) joining.Done.TrySetResult();
                }
                break;
            case ReleaseWorkers r when index == 0:
                await _s.Standbys.ReleaseAsync(job, r.Positions).ConfigureAwait(false);
                break;
            case MoveDone d:
                if (d.From != index) throw new ProtocolException($"A move report of participant {d.From} sent by participant {index}.");
                await job.Participants[0].Channel!.TrySendAsync(d).ConfigureAwait(false);
                break;
            case Recoverable r when index == 0:
                lock (_s.Lock)
                {
                    // A checkpoint committed by the submitter before it took up a recovery is of supersteps that run again.
                    if (r.Generation == job.Generation) job.Recoverable = r.Superstep == 0 ? null : (r.Run, r.Superstep);
                }
                break;
            case CheckpointWritten c:
                if (c.From != index) throw new ProtocolException($"A checkpoint report of participant {c.From} sent by participant {index}.");
                await job.Participants[0].Channel!.TrySendAsync(c).ConfigureAwait(false);
                break;
            case ProgramEnded e when e.Error is not null:
                await _s.Lifecycle.FailJobAsync(job, $"The program failed on {from}: {e.Error}").ConfigureAwait(false);
                break;
            case ProgramEnded e when e.ExitCode != 0:
                lock (_s.Lock) job.Ended.Add(index);
                // Its copy ended because the job failed where it runs — a peer's connection broke, usually a worker that was
                // killed: the lost worker explains it better.
                FailUnlessExplained(job, $"The program on {from} ended with exit code {e.ExitCode} while the job ran.");
                break;
            case ProgramEnded:
                bool pending;
                lock (_s.Lock)
                {
                    job.Ended.Add(index);
                    pending = job.Ready.Count > 0 || job.Done.Count > 0 || job.Barriers.Count > 0;
                }
                // Its copy of the program returned normally: if the others still wait for it, the copies diverged.
                if (pending) await _s.Lifecycle.FailJobAsync(job, $"The program on {from} ended while the others were still running a step (the copies of the program took different paths).").ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// Fails the job with <paramref name="message"/> after half a heartbeat timeout, unless it failed
    /// meanwhile for a reason that explains more (the heartbeat verdict on a lost worker).
    /// </summary>
    private void FailUnlessExplained(JobEntry job, string message)
    {
        int generation;
        lock (_s.Lock) generation = job.Generation;
        _ = Task.Run(async () =>
        {
            await Task.Delay(_s.Options.HeartbeatTimeout / 2).ConfigureAwait(false);
            // A lost worker that the job recovered from explains it too: the job goes on.
            lock (_s.Lock)
            {
                if (job.Generation != generation) return;
            }
            // ... or one it is recovering from (waiting for a new worker): checked again once that is over.
            while (true)
            {
                lock (_s.Lock)
                {
                    if (job.Generation != generation) return;
                    if (!job.Recovering) break;
                }
                await Task.Delay(100).ConfigureAwait(false);
            }
            await _s.Lifecycle.FailJobAsync(job, message).ConfigureAwait(false);
        });
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_monitor is not null) await _monitor.ConfigureAwait(false);
    }
}
