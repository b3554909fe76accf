using System.Globalization;

namespace Dataflow.Cluster;

/// <summary>
/// A lost worker of a job whose iteration takes checkpoints (docs/checkpoints.md): instead of failing the job, its position
/// becomes vacant and every copy of the program goes back to the last complete checkpoint with the workers left.
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
        List<ControlChannel> channels;
        lock (_s.Lock)
        {
            if (job.State != JobState.Running || job.Recoverable is not { } r) return "";
            if (r.Superstep < 0) return "The job cannot recover: its iteration had no complete checkpoint yet.";
            if (job.Generation >= MaxRecoveries) return string.Create(CultureInfo.InvariantCulture, $"The job cannot recover: it lost {MaxRecoveries} workers before.");
            // Not yet: workers that join or follow a job replay its log, which a recovery would have to rewrite.
            if (job.Submit.MaxWorkers > 0) return "The job cannot recover: it acquires workers (--max-workers), and such jobs do not recover yet.";
            int position = job.IndexOf(worker.Id);
            if (position <= 0) return "";
            if (job.Active <= 2) return "The job cannot recover: no worker is left.";
            job.Participants[position] = (Participant.Vacant, null, null);
            job.Ended.Remove(position);
            job.Generation++;
            // Rounds of the protocol before the loss are void; parallelisms placed on the lost worker are placed again.
            job.Ready.Clear();
            job.Done.Clear();
            job.Barriers.Clear();
            foreach (var p in job.Placed.Where(x => x.Value.Workers.Contains(worker.Id)).Select(x => x.Key).ToList()) job.Placed.Remove(p);
            message = new Recover(job.Id, job.Generation, r.Run, r.Superstep, worker.Id, reason, position);
            channels = job.Participants.Where(p => p.Channel is not null).Select(p => p.Channel!).ToList();
        }
        CoordinatorLog.LogJobRecovering(_s.Logger, job.Id, worker.Id, message.Superstep, job.Generation);
        foreach (var c in channels) await c.TrySendAsync(message).ConfigureAwait(false);
        return null;
    }
}
