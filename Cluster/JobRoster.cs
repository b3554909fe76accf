using System.Net;

namespace Dataflow.Cluster;

/// <summary>
/// The positions of a cluster job as one copy of its program sees them: the submitter (0) and the
/// workers, a released worker's position vacant; where each one's data plane is; which positions
/// hold a worker now. Changed only at points every copy reaches (an acquisition, a release).
/// </summary>
internal sealed class JobRoster(Participant[] participants)
{
    private Participant[] _participants = participants.ToArray();
    private IPEndPoint?[] _endpoints = Endpoints(participants);
    private int[]? _active;

    /// <summary>Every position.</summary>
    public IReadOnlyList<Participant> Participants => _participants;

    /// <summary>The positions (ascending) that hold a worker.</summary>
    public IReadOnlyList<int> ActiveWorkers => _active ??= Enumerable.Range(1, _participants.Length - 1).Where(i => !_participants[i].IsVacant()).ToArray();

    /// <summary>The slots of each of the job's workers (they are alike).</summary>
    public int SlotsPerWorker => Math.Max(1, _participants[ActiveWorkers[0]].Slots);

    /// <summary>Whether <paramref name="position"/>'s worker was released.</summary>
    public bool IsVacant(int position) => _participants[position].IsVacant();

    /// <summary>The data plane of <paramref name="position"/>.</summary>
    /// <exception cref="InvalidOperationException">The position has no worker.</exception>
    public IPEndPoint EndpointOf(int position, int job) =>
        _endpoints[position] ?? throw new InvalidOperationException($"Position {position} of job {job} has no worker.");

    /// <summary>Takes the roster the coordinator announced; returns the positions that hold a worker now and did not before.</summary>
    public int[] Adopt(Participant[] next)
    {
        var joined = Enumerable.Range(1, next.Length - 1).Where(i => !next[i].IsVacant() && (i >= _participants.Length || _participants[i].IsVacant())).ToArray();
        Set(next);
        return joined;
    }

    /// <summary>Makes <paramref name="positions"/> vacant (their workers were released); returns their workers' ids.</summary>
    public string[] Vacate(IReadOnlyCollection<int> positions)
    {
        var ids = positions.Select(i => _participants[i].Id).ToArray();
        var next = _participants.ToArray();
        foreach (int i in positions) next[i] = Participant.Vacant;
        Set(next);
        return ids;
    }

    private void Set(Participant[] next)
    {
        _participants = next;
        _active = null;
        _endpoints = Endpoints(next);
    }

    private static IPEndPoint?[] Endpoints(Participant[] roster) =>
        roster.Select(p => p.IsVacant() ? null : new IPEndPoint(IPAddress.Parse(p.Host), p.DataPort)).ToArray();
}
