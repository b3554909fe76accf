using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>
/// Workers that change hands while jobs run: acquiring more for a job that grows (its own standbys first,
/// then idle workers, then the provider's), standbys that follow growing jobs by replaying them, and
/// releasing workers a job no longer needs back to the pool or the provider.
/// </summary>
internal sealed class StandbyPool(CoordinatorState s)
{
    private readonly CoordinatorState _s = s;

    /// <summary>
    /// A growing job needs <see cref="AcquireWorkers.Count"/> more workers: takes free registered
    /// workers (asking the resource provider for new ones when too few are free), puts them in vacant
    /// positions (else new ones), starts the job on them with the log to replay, and sends every
    /// participant the new roster.
    /// </summary>
    public async Task AcquireAsync(JobEntry job, AcquireWorkers a)
    {
        var joiners = new List<(int Position, WorkerEntry Worker, int Run)>();
        var following = new List<WorkerEntry>();
        var unfollow = new List<(int Job, WorkerEntry Worker)>();
        try
        {
            if (job.Submit.MaxWorkers > 0 && job.Active - 1 + a.Count > job.Submit.MaxWorkers)
            {
                throw new ProtocolException($"The job asked for {a.Count} more workers beyond its maximum of {job.Submit.MaxWorkers}.");
            }
            int free;
            lock (_s.Lock) free = _s.Workers.Values.Count(w => w.Job == 0 && !w.Lost && !w.Retired);
            if (free < a.Count)
            {
                if (_s.ResolveProvider() is not { } provider) throw new InvalidOperationException($"{a.Count} more workers are needed, {free} are free, and there is no resource provider.");
                await provider.AcquireAsync(a.Count - free, _s.Stopping).ConfigureAwait(false);
            }
            lock (_s.Lock)
            {
                if (job.State != JobState.Running) return;
                job.Acquisitions = Math.Max(job.Acquisitions, a.Sequence);
                // The job's own standbys first (they have replayed it), then idle workers, then other jobs' standbys.
                var take = _s.Workers.Values.Where(w => w.Job == 0 && !w.Lost && !w.Retired)
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
                    // A joiner that does not follow this job starts a run of it, numbered here under the lock: the end of a copy
                    // it ran before (a follower of this job a recovery unfollowed) must not count as the end of this one.
                    joiners.Add((position, w, following.Contains(w) ? 0 : ++w.Runs));
                }
            }
            // Another job's standby taken here stops following it (its copy of that program ends).
            foreach (var (other, w) in unfollow) await w.Channel.TrySendAsync(new JobEnded(other)).ConfigureAwait(false);
            foreach (var (position, w, run) in joiners)
            {
                if (following.Contains(w)) continue;
                await w.Channel.SendAsync(new StartJob(job.Id, job.Submit.Entry, job.Submit.Args, job.Submit.Files, job.InitialRoster, position,
                    job.Parallelism, job.Submit.MaxWorkers, a.Sequence, w.Id, Run: run)).ConfigureAwait(false);
            }
            // A standby still being sent the log so far is waited for (the coordinator's part: no replay waits here).
            foreach (var w in following) await w.FollowLive!.Task.WaitAsync(TimeSpan.FromMinutes(1), _s.Stopping).ConfigureAwait(false);
            // The new copies replay the job so far: the log, then whatever was logged meanwhile, until nothing new came;
            // from then on they get broadcasts like everyone (in order: the last check and going live happen under one lock).
            var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Participant[] roster;
            int sent = 0;
            while (true)
            {
                ControlMessage[] tail;
                lock (_s.Lock)
                {
                    if (job.State != JobState.Running) throw new ClusterJobException("The job ended while workers joined it.");
                    tail = job.Log.Skip(sent).ToArray();
                    sent += tail.Length;
                    if (tail.Length == 0)
                    {
                        foreach (var (position, w, _) in joiners) job.Participants[position] = (job.Participants[position].Participant, w.Channel, w);
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
                foreach (var (_, w, _) in joiners)
                {
                    if (following.Contains(w)) continue; // it got these as a standby
                    foreach (var m in tail) await w.Channel.SendAsync(m).ConfigureAwait(false);
                }
            }
            var message = new Roster(job.Id, a.Sequence, roster, following.Select(w => w.Id).ToArray());
            foreach (var (_, w, _) in joiners) await w.Channel.SendAsync(message).ConfigureAwait(false);
            // The others go on (to the move) once every new copy has caught up.
            await caughtUp.Task.WaitAsync(TimeSpan.FromMinutes(5), _s.Stopping).ConfigureAwait(false);
            List<ControlChannel> others;
            lock (_s.Lock)
            {
                job.Joining = null;
                job.Log.Add(message);
                others = job.Participants.Where(p => p.Channel is not null && joiners.All(j => j.Worker != p.Worker)).Select(p => p.Channel!)
                    .Concat(job.Followers.Where(f => f.FollowLive?.Task.IsCompletedSuccessfully == true).Select(f => f.Channel)).ToList();
            }
            CoordinatorLog.LogWorkersJoined(_s.Logger, job.Id, string.Join(",", joiners.Select(j => j.Worker.Id)));
            foreach (var c in others) await c.TrySendAsync(message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Whatever went wrong (a provider that cannot start workers, a joiner that never caught up), the job
            // fails instead of waiting for a roster that will not come; joiners not yet live are told too.
            string reason = e is ClusterJobException ? e.Message : $"Acquiring {a.Count} worker(s) failed: {e.Message}";
            await _s.Lifecycle.FailJobAsync(job, reason).ConfigureAwait(false);
            foreach (var (_, w, _) in joiners) await w.Channel.TrySendAsync(new JobFailed(job.Id, reason)).ConfigureAwait(false);
        }
    }

    /// <summary>Under the lock: the standby stops following its job (the caller sends it that job's JobEnded); returns it.</summary>
    public WorkerEntry Unfollow(WorkerEntry w)
    {
        if (_s.Jobs.TryGetValue(w.Follows, out var followed)) followed.Followers.Remove(w);
        w.FollowLive?.TrySetException(new InvalidOperationException($"{w.Id} stopped following job {w.Follows}."));
        w.Follows = 0;
        return w;
    }

    /// <summary>
    /// Gives each running job that may grow as many following standbys (<see cref="CoordinatorOptions.StandbysFollow"/>)
    /// as it may still acquire, from the free workers that follow no job, and starts them following it.
    /// </summary>
    public void Follow()
    {
        if (!_s.Options.StandbysFollow) return;
        var start = new List<(JobEntry Job, WorkerEntry Worker, int After, TaskCompletionSource Live, int Run)>();
        lock (_s.Lock)
        {
            var idle = _s.Workers.Values.Where(w => w.Job == 0 && w.Follows == 0 && !w.Lost && !w.Retired)
                .OrderBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).ToList();
            foreach (var job in _s.Jobs.Values.Where(j => j.State == JobState.Running && j.Submit.MaxWorkers > 0).OrderBy(j => j.Id))
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
    /// far, and from then on it gets the job's logged messages as they come (<see cref="StepRendezvous.BroadcastAsync"/>).
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="w">The standby.</param>
    /// <param name="after">The job's last acquisition when the standby was given to it: it joins in a later one.</param>
    /// <param name="live">This follow's <see cref="WorkerEntry.FollowLive"/> (a later follow of the same worker has another).</param>
    /// <param name="run">This start's number (<see cref="StartJob.Run"/>).</param>
    public async Task StartFollowingAsync(JobEntry job, WorkerEntry w, int after, TaskCompletionSource live, int run)
    {
        try
        {
            await w.Channel.SendAsync(new StartJob(job.Id, job.Submit.Entry, job.Submit.Args, job.Submit.Files, job.InitialRoster, -1,
                job.Parallelism, job.Submit.MaxWorkers, StartJob.Follow, w.Id, after, run)).ConfigureAwait(false);
            int sent = 0;
            while (true)
            {
                ControlMessage[] tail;
                lock (_s.Lock)
                {
                    // Ended meanwhile, lost, or taken by another job: whatever was sent to it before is ended by the JobEnded sent after.
                    if (job.State != JobState.Running || w.FollowLive != live || w.Follows != job.Id) break;
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
            lock (_s.Lock)
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
    public async Task ReleaseAsync(JobEntry job, int[] positions)
    {
        var released = new List<WorkerEntry>();
        lock (_s.Lock)
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
        CoordinatorLog.LogWorkersReleased(_s.Logger, job.Id, string.Join(",", released.Select(w => w.Id)));
        // Whatever waited for them only waits for the others now.
        int[] steps, done, barriers;
        lock (_s.Lock)
        {
            steps = job.Ready.Keys.ToArray();
            done = job.Done.Keys.ToArray();
            barriers = job.Barriers.Keys.ToArray();
        }
        foreach (int step in steps) await _s.Steps.TryGoAsync(job, step).ConfigureAwait(false);
        foreach (int step in done) await _s.Steps.TryCompleteAsync(job, step).ConfigureAwait(false);
        foreach (int sequence in barriers) await _s.Steps.TryReleaseAsync(job, sequence).ConfigureAwait(false);
        ReturnToPool(job, released);
        // The ones kept in the pool follow the job again (it may grow again) or another one.
        Follow();
    }

    /// <summary>Released workers: up to <see cref="CoordinatorOptions.KeepWorkers"/> stay free, the provider takes the others back.</summary>
    public void ReturnToPool(JobEntry job, List<WorkerEntry> released)
    {
        if (_s.ResolveProvider() is { } provider)
        {
            // Up to the standby count they stay as free warm workers; the provider stops the others (or takes them back)
            // in the background: the job goes on meanwhile.
            lock (_s.Lock)
            {
                int excess = _s.Workers.Values.Count(w => !w.Lost && !w.Retired) - _s.Options.KeepWorkers;
                released = released.Take(Math.Max(0, excess)).ToList();
                foreach (var w in released) w.Retired = true;
            }
            if (released.Count == 0) return;
            _ = Task.Run(async () =>
            {
                try
                {
                    await provider.ReleaseAsync(released.Select(w => new Dataflow.Runtime.Extensibility.WorkerInfo(w.Id, w.Info.Slots) { Pid = w.Info.Pid }), _s.Stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or OperationCanceledException)
                {
                    CoordinatorLog.LogReleaseFailed(_s.Logger, job.Id, e.Message);
                }
            });
        }
    }

    /// <summary>
    /// A standby's copy of the program ended while it followed the job (it failed there, e.g. a file it reads is
    /// missing): it follows the job no more; if the job had just taken it, the job fails naming the cause.
    /// </summary>
    public async Task OnFollowerEndedAsync(JobEntry job, string from, ProgramEnded ended)
    {
        WorkerEntry? taken = null;
        lock (_s.Lock)
        {
            // An end of an earlier start of the program there (a copy that a later follow replaced) says nothing of this one.
            if (!_s.Workers.TryGetValue(from, out var w) || w.Follows != job.Id || ended.Run != w.Runs || !job.Followers.Remove(w)) return;
            w.Follows = 0;
            job.FollowEnded.Add(w.Id);
            w.FollowLive?.TrySetException(new InvalidOperationException($"The program ended on standby {from}."));
            if (w.Job == job.Id) taken = w;
        }
        // Without an error its copy replayed the program to its end (the job is ending): nothing to say.
        if (ended.Error is not null) CoordinatorLog.LogFollowerEnded(_s.Logger, job.Id, from, ended.Error);
        if (taken is not null) await _s.Lifecycle.FailJobAsync(job, $"The program failed on {from} (a standby the job took): {ended.Error ?? "it ended before joining"}").ConfigureAwait(false);
        Follow();
    }
}
