namespace Dataflow.Cluster;

/// <summary>
/// One copy's side of the moves of iteration state between the job's workers (<see cref="ClusterSession.Moves"/>):
/// each move numbered by an epoch that every copy reaches at the same point, its pieces carried
/// directly over the data planes, and each worker's part reported to the submitter.
/// </summary>
public sealed class SessionMoves
{
    private readonly ClusterSession _session;
    private int _epoch;

    internal SessionMoves(ClusterSession session) => _session = session;

    /// <summary>A worker tells the submitter (through the coordinator) that its part of the last move is done.</summary>
    /// <param name="phasesMs">How long this worker's phases of the move took (ms), e.g. export, exchange, import.</param>
    public async Task ReportMovedAsync(params double[] phasesMs)
    {
        if (!_session.IsSubmitter) await _session.Control.SendAsync(new MoveDone(_session.Job, _epoch, _session.Index, phasesMs)).ConfigureAwait(false);
    }

    /// <summary>In the submitter, after a move: the slowest worker's time in each phase it reported (ms).</summary>
    public double[] LastMovePhases { get; private set; } = [];

    /// <summary>After a recovery: moves are numbered from <paramref name="base"/> on.</summary>
    internal void Restart(int @base) => _epoch = @base;

    /// <summary>Numbers the next move of iteration state (every copy of the program, replaying ones too, at the same point).</summary>
    /// <returns>The move's epoch, which tells its pieces from other moves'.</returns>
    public int BeginMove()
    {
        _session.ThrowIfFailed();
        return ++_epoch;
    }

    /// <summary>
    /// In the submitter, which holds no state: waits until every worker reported its part of move
    /// <paramref name="epoch"/> done (<see cref="ReportMovedAsync"/>) and keeps the slowest worker's phase times.
    /// </summary>
    public async Task WaitMovedAsync(int epoch)
    {
        var waits = _session.ActiveWorkers.Select(p => _session.Replies.Await(Reply.Moved, epoch, p)).ToList();
        double[] phases = [];
        foreach (var wait in waits)
        {
            var reported = ((MoveDone)await wait.ConfigureAwait(false)).PhasesMs;
            if (phases.Length < reported.Length) Array.Resize(ref phases, reported.Length);
            for (int i = 0; i < reported.Length; i++) phases[i] = Math.Max(phases[i], reported[i]);
        }
        LastMovePhases = phases;
    }

    /// <summary>
    /// Runs this worker's part of a move (<paramref name="move"/> sends and receives pieces): a failure of
    /// the job anywhere cancels it, and a broken data connection fails the job.
    /// </summary>
    /// <exception cref="ClusterJobException">The job failed, or a data connection broke during the move.</exception>
    public async Task RunMoveAsync(Func<CancellationToken, Task> move)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_session.Replies.Failed, _session.Replies.Interrupted);
        try
        {
            await move(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_session.Replies.Failure is not null)
        {
            throw new ClusterJobException(_session.Replies.Failure!);
        }
        catch (Exception) when (_session.Replies.Pending is { } recovery)
        {
            throw JobReplies.Copy(recovery);
        }
        catch (IOException e)
        {
            // A peer's connection broke: usually a lost worker, which the coordinator names once its heartbeats stop (and may recover from).
            var message = $"Moving iteration state failed: {e.Message} (on {_session.Self})";
            await _session.Control.TrySendAsync(new StepFailed(_session.Job, _session.Step, message, true)).ConfigureAwait(false);
            await _session.AwaitVerdictAsync().ConfigureAwait(false);
            throw new ClusterJobException(message);
        }
    }

    /// <summary>Sends piece <paramref name="sequence"/> of move <paramref name="epoch"/> from this worker to participant <paramref name="to"/>, directly over the data planes.</summary>
    public Task SendPieceAsync(int to, int epoch, int sequence, ReadOnlyMemory<byte> piece, CancellationToken cancellationToken) =>
        _session.Data.SendBlobAsync(_session.EndpointOf(to), _session.Job, PieceTag(epoch, sequence), _session.Index, piece, cancellationToken);

    /// <summary>Receives piece <paramref name="sequence"/> of move <paramref name="epoch"/> sent to this worker by participant <paramref name="from"/>.</summary>
    public Task<ReceivedBlob> ReceivePieceAsync(int from, int epoch, int sequence, CancellationToken cancellationToken) =>
        _session.Data.ReceiveRentedBlobAsync(_session.Job, PieceTag(epoch, sequence), from, cancellationToken);

    private static long PieceTag(int epoch, int sequence) => ((long)epoch << 32) | (uint)sequence;
}
