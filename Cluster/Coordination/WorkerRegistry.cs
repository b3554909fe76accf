using System.Diagnostics;
using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>
/// The coordinator's registry of workers: registration, each worker's messages (heartbeats first), the
/// heartbeat watch that declares a silent worker lost, and what losing one means for its job.
/// </summary>
internal sealed class WorkerRegistry(CoordinatorState s)
{
    private readonly CoordinatorState _s = s;

    public async Task ServeWorkerAsync(ControlChannel channel, RegisterWorker info, CancellationToken token)
    {
        if (info.Slots < 1) throw new ProtocolException($"A worker with {info.Slots} slots.");
        WorkerEntry worker;
        lock (_s.Lock)
        {
            var id = "w" + (++_s.NextWorker).ToString(CultureInfo.InvariantCulture);
            worker = new WorkerEntry(id, info, channel, _s.Heartbeats.Now);
            _s.Workers[id] = worker;
        }
        CoordinatorLog.LogWorkerRegistered(_s.Logger, worker.Id, info.Host, info.DataPort, info.Slots, info.Pid);
        await channel.SendAsync(new Registered(worker.Id), token).ConfigureAwait(false);
        _s.Standbys.Follow();
        string reason = "its connection closed";
        try
        {
            while (await channel.ReceiveAsync(token).ConfigureAwait(false) is { } m)
            {
                worker.LastHeartbeat = _s.Heartbeats.Now;
                switch (m)
                {
                    case Heartbeat h:
                        worker.Cpu = h.Cpu;
                        worker.Memory = h.MemoryBytes;
                        _s.Placement.Observe(worker.Id, h.Names, h.Values);
                        _s.HeartbeatReceived?.Invoke(worker.Id, h);
                        break;
                    case NeedFiles n:
                        await SendFilesAsync(channel, n.Hashes, token).ConfigureAwait(false);
                        break;
                    case Leaving l:
                        worker.Leaving = l.Reason;
                        break;
                    default:
                        await _s.Dispatch(m, worker.Id).ConfigureAwait(false);
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

    public async Task MonitorAsync()
    {
        while (!_s.Stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(CoordinatorState.CheckPeriod, _s.Stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            List<WorkerEntry> silent;
            lock (_s.Lock)
            {
                // Judged from the heartbeats received: a stall of the coordinator itself is not the workers' silence.
                silent = _s.Heartbeats.Silent(_s.Workers.Values, w => w.LastHeartbeat);
            }
            foreach (var w in silent)
            {
                await LoseWorkerAsync(w, $"no heartbeat for {_s.Heartbeats.SilenceOf(w.LastHeartbeat).TotalSeconds:F1} s").ConfigureAwait(false);
                await w.Channel.DisposeAsync().ConfigureAwait(false);
            }
            // A submitter that stopped (SIGSTOP, a hung host) would hold its workers forever: its job fails and they are freed.
            List<JobEntry> stopped;
            lock (_s.Lock) stopped = _s.Heartbeats.Silent(_s.Jobs.Values.Where(j => j.State == JobState.Running), j => j.SubmitterHeard);
            foreach (var job in stopped)
            {
                await _s.Lifecycle.FailJobAsync(job, $"The submitter stopped responding (no heartbeat for {_s.Heartbeats.SilenceOf(job.SubmitterHeard).TotalSeconds:F1} s). {job.Progress()}").ConfigureAwait(false);
                await job.Submitter.DisposeAsync().ConfigureAwait(false); // ends its serving loop, which ends the job and frees the workers
            }
        }
    }

    public async Task LoseWorkerAsync(WorkerEntry worker, string reason)
    {
        JobEntry? job;
        lock (_s.Lock)
        {
            if (worker.Lost) return;
            worker.Lost = true;
            _s.Workers.Remove(worker.Id);
            _s.Jobs.TryGetValue(worker.Job, out job);
            // A lost standby only leaves the job it followed (which had not taken it).
            if (worker.Follows != 0 && _s.Jobs.TryGetValue(worker.Follows, out var followed)) followed.Followers.Remove(worker);
            worker.Follows = 0;
            worker.FollowLive?.TrySetException(new IOException($"Lost {worker.Describe()}: {reason}."));
        }
        if (_s.Stopping.IsCancellationRequested || worker.Retired) return; // shutting down or released: workers leave, nothing is lost
        // A provider that started the worker's process can say how it ended (a signal, the OOM killer).
        if (worker.Leaving is null && _s.ResolveProvider() is IWorkerExitReporter reporter
            && await reporter.DescribeExitAsync(worker.Info.Pid, TimeSpan.FromSeconds(1)).ConfigureAwait(false) is { } exit)
        {
            reason += "; " + exit;
        }
        if (worker.Leaving is { } leaving)
        {
            // It said goodbye: a clean exit, logged as such; a job it was part of still cannot go on without it.
            reason = leaving;
            CoordinatorLog.LogWorkerLeft(_s.Logger, worker.Id, leaving);
        }
        else
        {
            CoordinatorLog.LogWorkerLost(_s.Logger, worker.Id, reason);
        }
        _s.Standbys.Follow(); // a lost standby is replaced if another worker is free
        if (job is not null && job.State == JobState.Running)
        {
            // A job whose iteration takes checkpoints goes back to the last one with the workers left.
            var cannot = await _s.Recovery.TryRecoverAsync(job, worker, $"{worker.Describe()}: {reason}").ConfigureAwait(false);
            if (cannot is null) return;
            var what = worker.Leaving is null ? "Lost" : "Left:";
            await _s.Lifecycle.FailJobAsync(job, $"{what} {worker.Describe()}: {reason}. {job.Progress()}{(cannot.Length > 0 ? " " + cannot : "")}").ConfigureAwait(false);
        }
    }

    public async Task SendFilesAsync(ControlChannel channel, string[] hashes, CancellationToken token)
    {
        foreach (var h in hashes)
        {
            if (!_s.Files.Has(h)) throw new ProtocolException($"Unknown file {h}.");
            await foreach (var chunk in _s.Files.ReadAsync(h, token).ConfigureAwait(false))
            {
                await channel.SendAsync(chunk, token).ConfigureAwait(false);
            }
        }
    }
}
