using System.Globalization;

namespace Dataflow.Cluster;

/// <summary>
/// A lost worker of a job whose iteration takes checkpoints (docs/checkpoints.md): instead of failing the job, a free worker
/// (for a job that may acquire workers, a new one from the resource provider if none is free) takes its position, or it
/// becomes vacant, and every copy of the program goes back to the last complete checkpoint.
/// </summary>
internal sealed class JobRecovery(CoordinatorState s)
{
    /// <summary>Losses one job recovers from; the next fails it.</summary>
    public const int MaxRecoveries = 3;

    private readonly CoordinatorState _s = s;

    /// <summary>
    /// Recovers <paramref name="job"/> from the loss of <paramref name="worker"/> (<paramref name="reason"/>), when it can:
    /// returns null when it does, or why it cannot (a job that takes no checkpoints: empty).
    /// </summary>
    public async Task<string?> TryRecoverAsync(JobEntry job, WorkerEntry worker, string reason)
    {
        Recover message;
        WorkerEntry? replacement = null;
        int run = 0;
        var unfollowed = new List<WorkerEntry>();
        await AcquireIfNoneIsFreeAsync(job, worker).ConfigureAwait(false);
        lock (_s.Lock)
        {
            if (job.State != JobState.Running || job.Recoverable is not { } r) return "";
            if (r.Superstep < 0) return "The job cannot recover: its iteration had no complete checkpoint yet.";
            if (job.Generation >= MaxRecoveries) return string.Create(CultureInfo.InvariantCulture, $"The job cannot recover: it lost {MaxRecoveries} workers before.");
            if (job.Joining is not null) return "The job cannot recover: it lost the worker while workers joined it.";
            int position = job.IndexOf(worker.Id);
            if (position <= 0) return "";
            // A free worker takes the lost one's place (it replays the job up to the iteration); without one the workers left go on.
            // Standbys that follow the job replay what it did before the loss: they start following again (below), and one
            // of them may be the replacement.
            foreach (var f in job.Followers.ToList()) unfollowed.Add(_s.Standbys.Unfollow(f));
            replacement = _s.Workers.Values.Where(w => w.Job == 0 && w.Follows == 0 && !w.Lost && !w.Retired)
                .OrderBy(w => int.Parse(w.Id[1..], CultureInfo.InvariantCulture)).FirstOrDefault();
            if (replacement is null && job.Active <= 2) return "The job cannot recover: no worker is left.";
            job.Participants[position] = replacement is null
                ? (Participant.Vacant, null, null)
                : (new Participant(replacement.Id, replacement.Info.Host, replacement.Info.DataPort, replacement.Info.Slots), null, replacement);
            if (replacement is not null)
            {
                replacement.Job = job.Id;
                // Numbered with its position, under the lock: the end of the copy it ran before (a follower's, ended by the
                // JobEnded below) may reach the coordinator before StartReplacementAsync runs, and must not count as its end.
                run = ++replacement.Runs;
            }
            job.Ended.Remove(position);
            job.Generation++;
            // Rounds of the protocol before the loss are void; every parallelism is placed again.
            job.Ready.Clear();
            job.Done.Clear();
            job.Barriers.Clear();
            job.Placed.Clear(); // the copies forget every placement too (ClusterSession.TakeUp)
            message = new Recover(job.Id, job.Generation, r.Run, r.Superstep, worker.Id, reason, position, job.Participants.Select(p => p.Participant).ToArray(),
                replacement?.Id ?? "");
        }
        CoordinatorLog.LogJobRecovering(_s.Logger, job.Id, worker.Id, message.Superstep, message.Generation, replacement?.Id ?? "the workers left");
        // Their copies of the program end (the JobEnded comes after what they were sent); they follow again from the start.
        foreach (var f in unfollowed) await f.Channel.TrySendAsync(new JobEnded(job.Id)).ConfigureAwait(false);
        await _s.Steps.BroadcastAsync(job, message).ConfigureAwait(false);
        if (replacement is not null) _ = Task.Run(() => StartReplacementAsync(job, replacement, message, run));
        _s.Standbys.Follow();
        return null;
    }

    /// <summary>
    /// A job that may acquire workers (<c>--max-workers</c>) and would recover without a free worker gets a new one from
    /// the resource provider first (it waits at most <see cref="AcquireTimeout"/>; failing that, the workers left go on).
    /// A job with a fixed set of workers goes on with those left.
    /// </summary>
    private async Task AcquireIfNoneIsFreeAsync(JobEntry job, WorkerEntry lost)
    {
        bool acquire;
        lock (_s.Lock)
        {
            acquire = job.State == JobState.Running && job.Recoverable is { Superstep: >= 0 } && job.Generation < MaxRecoveries && job.Submit.MaxWorkers > 0
                && job.IndexOf(lost.Id) > 0 && !_s.Workers.Values.Any(w => w.Job == 0 && !w.Lost && !w.Retired);
        }
        if (!acquire || _s.ResolveProvider() is not { } provider) return;
        lock (_s.Lock) job.Recovering = true;
        try
        {
            await provider.AcquireAsync(1, _s.Stopping).WaitAsync(AcquireTimeout, _s.Stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or TimeoutException or OperationCanceledException)
        {
            CoordinatorLog.LogReplacementFailed(_s.Logger, job.Id, e.Message);
        }
        finally
        {
            lock (_s.Lock) job.Recovering = false;
        }
    }

    /// <summary>How long a recovery waits for the resource provider's new worker.</summary>
    /// <remarks>Below the time a copy waits for the coordinator's verdict after a broken connection (ClusterSession.AwaitVerdictAsync).</remarks>
    public static readonly TimeSpan AcquireTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Starts the job's program on <paramref name="w"/> in the lost worker's position: it replays the job's log (the
    /// recovery's <see cref="Recover"/> last) and takes part from the recovery on; from the moment it has the log it gets
    /// what the others get. When it is lost meanwhile, that is another loss of the job.
    /// </summary>
    private async Task StartReplacementAsync(JobEntry job, WorkerEntry w, Recover recovery, int run)
    {
        try
        {
            await w.Channel.SendAsync(new StartJob(job.Id, job.Submit.Entry, job.Submit.Args, job.Submit.Files, job.InitialRoster, recovery.Position,
                job.Parallelism, job.Submit.MaxWorkers, Recover.Base(recovery.Generation), w.Id, Run: run)).ConfigureAwait(false);
            int sent = 0;
            while (true)
            {
                ControlMessage[] tail;
                lock (_s.Lock)
                {
                    if (job.State != JobState.Running || job.IndexOf(w.Id) != recovery.Position) return;
                    tail = job.Log.Skip(sent).ToArray();
                    sent += tail.Length;
                    if (tail.Length == 0)
                    {
                        // Live from here (under the lock: no logged message is missed or sent twice).
                        job.Participants[recovery.Position] = (job.Participants[recovery.Position].Participant, w.Channel, w);
                        return;
                    }
                }
                foreach (var m in tail) await w.Channel.SendAsync(m).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Its connection broke: the registry loses it, which is another loss of the job.
        }
    }
}
