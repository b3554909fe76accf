using System.Diagnostics;
using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>
/// A job from submission to its end: its files (content-hashed into the cache), the workers it starts on,
/// the submitter's side of the protocol, failing and ending it, and the status the `status` command shows.
/// </summary>
internal sealed class JobLifecycle(CoordinatorState s)
{
    private readonly CoordinatorState _s = s;

    public async Task ServeSubmitterAsync(ControlChannel channel, SubmitJob submit, CancellationToken token)
    {
        JobEntry job;
        lock (_s.Lock)
        {
            job = new JobEntry(++_s.NextJob, submit, channel);
            _s.Jobs[job.Id] = job;
        }
        try
        {
            // 1. The program's files, by content hash (cached across jobs).
            var missing = submit.Files.Select(f => f.Hash).Distinct().Where(h => !_s.Files.Has(h)).ToArray();
            await channel.SendAsync(new NeedFiles(missing), token).ConfigureAwait(false);
            var pending = new HashSet<string>(missing);
            while (pending.Count > 0)
            {
                var m = await channel.ReceiveAsync(token).ConfigureAwait(false) ?? throw new IOException("The submitter disconnected while sending files.");
                if (m is not FileChunk chunk || !pending.Contains(chunk.Hash)) throw new ProtocolException($"Expected a file chunk, got {m.GetType().Name}.");
                if (_s.Files.Append(chunk)) pending.Remove(chunk.Hash);
            }

            // 2. Workers.
            List<WorkerEntry> chosen;
            var unfollow = new List<(int Job, WorkerEntry Worker)>();
            lock (_s.Lock)
            {
                // Workers that follow no job first; a standby taken from another job stops following it (below).
                var free = _s.Workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired)
                    .OrderBy(w => w.Follows == 0 ? 0 : 1).ThenBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).ToList();
                int want = submit.Workers <= 0 ? free.Count : submit.Workers;
                if (want == 0 || free.Count < want)
                {
                    throw new ClusterJobException($"The job needs {(want == 0 ? "at least one" : want.ToString(CultureInfo.InvariantCulture))} free worker(s); {free.Count} free of {_s.Workers.Count} registered.");
                }
                chosen = free.Take(want).ToList();
                foreach (var w in chosen)
                {
                    w.Job = job.Id;
                    if (w.Follows != 0) unfollow.Add((w.Follows, _s.Standbys.Unfollow(w)));
                }
                job.Participants.Add((new Participant("submitter", submit.DataHost, submit.DataPort, 0), channel, null));
                foreach (var w in chosen) job.Participants.Add((new Participant(w.Id, w.Info.Host, w.Info.DataPort, w.Info.Slots), w.Channel, w));
                job.State = JobState.Running;
                job.SubmitterHeard = _s.Heartbeats.Now;
                job.InitialRoster = job.Participants.Select(p => p.Participant).ToArray();
                job.Parallelism = chosen.Sum(w => w.Info.Slots);
            }
            CoordinatorLog.LogJobStarted(_s.Logger, job.Id, submit.Entry, string.Join(",", chosen.Select(w => w.Id)));
            foreach (var (other, w) in unfollow) await w.Channel.TrySendAsync(new JobEnded(other)).ConfigureAwait(false);
            for (int i = 0; i < job.Participants.Count; i++)
            {
                await job.Participants[i].Channel!.SendAsync(new StartJob(job.Id, submit.Entry, submit.Args, submit.Files, job.InitialRoster, i, job.Parallelism,
                    submit.MaxWorkers), token).ConfigureAwait(false);
            }
            _s.Standbys.Follow();

            // 3. The submitter's part of the protocol until its program ends.
            while (await channel.ReceiveAsync(token).ConfigureAwait(false) is { } m)
            {
                job.SubmitterHeard = _s.Heartbeats.Now;
                if (m is Heartbeat) continue;
                if (m is JobEvent e)
                {
                    _s.JobEventReceived?.Invoke(job.Id, job.Submit.Entry, e.Json);
                    continue;
                }
                if (m is ProgramEnded ended)
                {
                    await EndJobAsync(job, ended.Error is null ? JobState.Finished : JobState.Failed).ConfigureAwait(false);
                    return;
                }
                await _s.Dispatch(m, "submitter").ConfigureAwait(false);
            }
            await FailJobAsync(job, "The submitter disconnected.").ConfigureAwait(false);
            await EndJobAsync(job, JobState.Failed).ConfigureAwait(false);
        }
        catch (ClusterJobException e)
        {
            job.State = JobState.Failed;
            await channel.TrySendAsync(new JobFailed(job.Id, e.Message)).ConfigureAwait(false);
            await EndJobAsync(job, JobState.Failed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            await FailJobAsync(job, "The coordinator stopped.").ConfigureAwait(false);
            await EndJobAsync(job, JobState.Failed).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await FailJobAsync(job, "The submitter's connection broke.").ConfigureAwait(false);
            await EndJobAsync(job, JobState.Failed).ConfigureAwait(false);
            throw;
        }
    }

    public async Task FailJobAsync(JobEntry job, string message)
    {
        lock (_s.Lock)
        {
            if (job.State != JobState.Running) return;
            job.State = JobState.Failed;
        }
        CoordinatorLog.LogJobFailed(_s.Logger, job.Id, message);
        lock (_s.Lock) job.Joining?.Done.TrySetException(new InvalidOperationException(message));
        await _s.Steps.BroadcastAsync(job, new JobFailed(job.Id, message)).ConfigureAwait(false);
    }

    public async Task EndJobAsync(JobEntry job, JobState state)
    {
        List<WorkerEntry> workers;
        lock (_s.Lock)
        {
            if (job.State is JobState.Running or JobState.Starting) job.State = state;
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
            lock (_s.Lock)
            {
                if (w.Job == job.Id) w.Job = 0;
            }
        }
        CoordinatorLog.LogJobEnded(_s.Logger, job.Id, job.State.ToString().ToLowerInvariant(), Stopwatch.GetElapsedTime(job.StartTicks).TotalSeconds);
        _s.Standbys.Follow();
        lock (_s.Lock)
        {
            // Keep the last 100 ended jobs for `status`.
            foreach (var old in _s.Jobs.Values.Where(j => j.State is not (JobState.Running or JobState.Starting)).OrderBy(j => j.Id).SkipLast(100).Select(j => j.Id).ToList()) _s.Jobs.Remove(old);
        }
    }

    /// <summary>The workers and jobs now (what <c>dataflow status</c> prints).</summary>
    public StatusReply Status()
    {
        lock (_s.Lock)
        {
            var workers = _s.Workers.Values.OrderBy(w => w.Id, StringComparer.Ordinal).Select(w => new WorkerStatus(w.Id, w.Info.Host, w.Info.DataPort, w.Info.Slots, w.Info.Pid,
                w.Job, w.Cpu, w.Memory, _s.Heartbeats.SilenceOf(w.LastHeartbeat).TotalSeconds, w.Follows)).ToArray();
            var jobs = _s.Jobs.Values.OrderBy(j => j.Id).Select(j => new JobStatus(j.Id, j.Submit.Entry, j.State.ToString().ToLowerInvariant(),
                j.Workers().Select(w => w.Id).ToArray(), j.Steps, j.LastSuperstep ?? "")).ToArray();
            return new StatusReply(workers, jobs);
        }
    }
}
