using System.Net;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Cluster;

// Moves of iteration state between the job's workers: numbered by epoch, carried in pieces over the data planes, reported to the submitter.
public sealed partial class ClusterSession
{
    /// <summary>A worker tells the submitter (through the coordinator) that its part of the last move is done.</summary>
    /// <param name="phasesMs">How long this worker's phases of the move took (ms), e.g. export, exchange, import.</param>
    public async Task ReportMovedAsync(params double[] phasesMs)
    {
        if (!IsSubmitter) await _control.SendAsync(new MoveDone(Job, _epoch, Index, phasesMs)).ConfigureAwait(false);
    }

    /// <summary>In the submitter, after a move: the slowest worker's time in each phase it reported (ms).</summary>
    public double[] LastMovePhases { get; private set; } = [];

    /// <summary>Numbers the next move of iteration state (every copy of the program, replaying ones too, at the same point).</summary>
    /// <returns>The move's epoch, which tells its pieces from other moves'.</returns>
    public int BeginMove()
    {
        ThrowIfFailed();
        return ++_epoch;
    }

    /// <summary>
    /// In the submitter, which holds no state: waits until every worker reported its part of move
    /// <paramref name="epoch"/> done (<see cref="ReportMovedAsync"/>) and keeps the slowest worker's phase times.
    /// </summary>
    public async Task WaitMovedAsync(int epoch)
    {
        var waits = ActiveWorkers.Select(p => Await(Reply.Moved, epoch, p)).ToList();
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
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(_failed.Token);
        try
        {
            await move(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_failure is not null)
        {
            throw new ClusterJobException(_failure);
        }
        catch (IOException e)
        {
            // A peer's connection broke: usually a lost worker, which the coordinator names once its heartbeats stop.
            await _control.TrySendAsync(new StepFailed(Job, _step, $"Moving iteration state failed: {e.Message} (on {Self})", true)).ConfigureAwait(false);
            throw new ClusterJobException($"Moving iteration state failed: {e.Message} (on {Self})");
        }
    }

    /// <summary>Sends piece <paramref name="sequence"/> of move <paramref name="epoch"/> from this worker to participant <paramref name="to"/>, directly over the data planes.</summary>
    public Task SendPieceAsync(int to, int epoch, int sequence, ReadOnlyMemory<byte> piece, CancellationToken cancellationToken) =>
        _data.SendBlobAsync(EndpointOf(to), Job, PieceTag(epoch, sequence), Index, piece, cancellationToken);

    /// <summary>Receives piece <paramref name="sequence"/> of move <paramref name="epoch"/> sent to this worker by participant <paramref name="from"/>.</summary>
    public Task<ReceivedBlob> ReceivePieceAsync(int from, int epoch, int sequence, CancellationToken cancellationToken) =>
        _data.ReceiveRentedBlobAsync(Job, PieceTag(epoch, sequence), from, cancellationToken);

    private static long PieceTag(int epoch, int sequence) => ((long)epoch << 32) | (uint)sequence;
}
