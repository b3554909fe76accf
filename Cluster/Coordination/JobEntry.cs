using System.Diagnostics;

namespace Dataflow.Cluster;

/// <summary>Where a job is in its life.</summary>
internal enum JobState
{
    /// <summary>Submitted: its files are arriving and its workers are being chosen.</summary>
    Starting,

    /// <summary>Its program runs on the submitter and its workers.</summary>
    Running,

    /// <summary>The submitter's program ended without an error.</summary>
    Finished,

    /// <summary>It failed (a lost worker, a failed step, a program that failed somewhere).</summary>
    Failed,
}

/// <summary>A job as the coordinator sees it: its participants, the protocol's open rounds, and its log for workers that join later.</summary>
internal sealed class JobEntry(int id, SubmitJob submit, ControlChannel submitter)
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
    public JobState State { get; set; } = JobState.Starting;
    /// <summary>When the last message from the submitter arrived once the job ran (the coordinator's clock): a stopped submitter is detected like a lost worker.</summary>
    public long SubmitterHeard { get; set; }
    public Dictionary<int, Dictionary<int, StepReady>> Ready { get; } = new();
    public Dictionary<int, Dictionary<int, StepDone>> Done { get; } = new();
    public Dictionary<int, Dictionary<int, BarrierReport>> Barriers { get; } = new();
    public int Steps { get; set; }
    public string? LastSuperstep { get; set; }
    public Dictionary<int, PlacementDecision> Placed { get; } = new();
    public HashSet<int> Ended { get; } = new();
    public IJobPlacement? Placer { get; set; }
    public long StartTicks { get; } = Stopwatch.GetTimestamp();
    /// <summary>The iteration run that takes checkpoints and its last complete one (superstep −1: none yet), or null: a lost worker fails the job.</summary>
    public (int Run, int Superstep)? Recoverable { get; set; }
    /// <summary>Recoveries so far: protocol numbers of the participants start above <see cref="Recover.Base"/> of it.</summary>
    public int Generation { get; set; }
    /// <summary>True while a recovery waits for a new worker: failures the loss causes meanwhile are explained by it.</summary>
    public bool Recovering { get; set; }

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
