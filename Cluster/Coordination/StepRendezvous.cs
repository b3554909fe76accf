using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>
/// Keeps the copies of a program in step: a step starts when every participant is ready (plan fingerprints
/// checked, new parallelisms placed), completes when every one is done, and a barrier is released when
/// every one reported; what the workers are sent is logged for copies that join or follow later.
/// </summary>
internal sealed class StepRendezvous(CoordinatorState s)
{
    private readonly CoordinatorState _s = s;

    public async Task OnStepReadyAsync(JobEntry job, int index, StepReady r)
    {
        string? ended;
        lock (_s.Lock) ended = job.Ended.Count == 0 ? null : job.Participants[job.Ended.Min()].Participant.Id;
        if (ended is not null)
        {
            await _s.Lifecycle.FailJobAsync(job, $"Step {r.Step} started, but the program on {ended} had already ended (the copies of the program took different paths).").ConfigureAwait(false);
            return;
        }
        lock (_s.Lock) JobEntry.Put(job.Ready, r.Step, index, r);
        await TryGoAsync(job, r.Step).ConfigureAwait(false);
    }

    /// <summary>Starts step <paramref name="step"/> once every worker the job holds (and the submitter) is ready.</summary>
    public async Task TryGoAsync(JobEntry job, int step)
    {
        (int Position, StepReady Part)[] ready;
        lock (_s.Lock)
        {
            if (!job.TryTake(job.Ready, step, out ready)) return;
        }
        var reference = ready[0].Part;
        foreach (var (i, x) in ready)
        {
            if (x.Fingerprint != reference.Fingerprint)
            {
                await _s.Lifecycle.FailJobAsync(job, $"Plan fingerprint mismatch at step {step}: {job.Participants[i].Participant.Id} built plan {x.Fingerprint} ({x.Description}), " +
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
            await _s.Lifecycle.FailJobAsync(job, $"Placement failed: {e.Message}").ConfigureAwait(false);
            return;
        }
        await BroadcastAsync(job, new StepGo(job.Id, step, decisions)).ConfigureAwait(false);
    }

    /// <summary>
    /// Places every parallelism the step uses for the first time in this job; earlier ones stay
    /// (their subtasks hold state: partial solutions, solution sets, cached indexes).
    /// </summary>
    public PlacementDecision[] Place(JobEntry job, StepReady submitter)
    {
        List<Dataflow.Runtime.Extensibility.WorkerInfo> workers;
        lock (_s.Lock) workers = job.Workers();
        var decisions = new List<PlacementDecision>();
        foreach (int p in submitter.Parallelisms.Distinct().Order())
        {
            if (job.Placed.TryGetValue(p, out var earlier) && earlier.Workers.All(w => workers.Any(x => x.Id == w))) continue;
            job.Placer ??= _s.Placement.ForJob(submitter.Placement, submitter.Predictor);
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
    public PlacementDecision Replace(JobEntry job, PlaceRequest q)
    {
        List<Dataflow.Runtime.Extensibility.WorkerInfo> workers;
        lock (_s.Lock) workers = job.Workers();
        var decision = job.Placer?.Place(q.Parallelism, workers, new Dataflow.Runtime.Extensibility.Placement(q.Current))
            ?? new PlacementDecision(q.Parallelism, "keep", q.Current, [], [], []);
        if (decision.Workers.Length != q.Parallelism || decision.Workers.Any(w => workers.All(x => x.Id != w))) decision = decision with { Workers = q.Current };
        job.Placed[q.Parallelism] = decision;
        return decision;
    }

    public async Task OnStepDoneAsync(JobEntry job, int index, StepDone d)
    {
        lock (_s.Lock) JobEntry.Put(job.Done, d.Step, index, d);
        await TryCompleteAsync(job, d.Step).ConfigureAwait(false);
    }

    public async Task TryCompleteAsync(JobEntry job, int step)
    {
        TaskStatistics[] all;
        lock (_s.Lock)
        {
            if (!job.TryTake(job.Done, step, out var done)) return;
            all = done.SelectMany(x => x.Part.Tasks).ToArray();
            job.Steps++;
        }
        await BroadcastAsync(job, new StepComplete(job.Id, step, all)).ConfigureAwait(false);
    }

    public async Task OnBarrierAsync(JobEntry job, int index, BarrierReport b)
    {
        if (b.Participant != index) throw new ProtocolException($"Barrier report of participant {b.Participant} sent by participant {index}.");
        lock (_s.Lock) JobEntry.Put(job.Barriers, b.Sequence, index, b);
        await TryReleaseAsync(job, b.Sequence).ConfigureAwait(false);
    }

    public async Task TryReleaseAsync(JobEntry job, int sequence)
    {
        BarrierReport[] all;
        lock (_s.Lock)
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
    public async Task BroadcastAsync(JobEntry job, ControlMessage m, bool toSubmitter = true)
    {
        List<ControlChannel> channels;
        List<ControlChannel>? following = null;
        ControlMessage? followed = null;
        lock (_s.Lock)
        {
            // A replaying copy needs the decisions and values, and the steps' task reports too: its
            // superstep synchronizer checks at each barrier that every head reported done. Every job keeps its log:
            // a worker that joins it (a growing job) or takes a lost worker's place (a recovering one) replays it.
            var logged = m switch
            {
                StepGo or BarrierRelease or Share or Roster or StepComplete or Recover => m,
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
}
