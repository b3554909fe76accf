using System.Net;
using System.Runtime.ExceptionServices;

using Dataflow.Cluster;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// An all-to-all exchange of payloads over the data planes' point-to-point blobs
/// (<see cref="DataPlane.SendBlobAsync"/>), to test them under concurrency, ordering and failure.
/// </summary>
internal static class StateExchange
{
    /// <summary>
    /// Sends <paramref name="outgoing"/>[p] to participant p and returns what each participant in
    /// <paramref name="expectFrom"/> sent to <paramref name="self"/>.
    /// </summary>
    /// <param name="plane">This process's data plane.</param>
    /// <param name="endpoints">The data plane of each participant, by participant index.</param>
    /// <param name="job">The cluster job.</param>
    /// <param name="epoch">Tells exchanges of one job apart: every participant of one exchange uses the same epoch, and no two exchanges of a job do.</param>
    /// <param name="self">This process's participant index.</param>
    /// <param name="outgoing">What to send, by receiving participant; an entry for <paramref name="self"/> is handed back without a copy when <paramref name="expectFrom"/> holds <paramref name="self"/>.</param>
    /// <param name="expectFrom">The participants that send to this one in this exchange.</param>
    /// <param name="ct">Cancels the exchange.</param>
    /// <returns>What each participant in <paramref name="expectFrom"/> sent, by participant index.</returns>
    /// <exception cref="IOException">A data connection failed (the first failure; the rest of the exchange is cancelled).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> fired, or the job was unregistered from the data plane.</exception>
    /// <remarks>
    /// Each participant must send exactly one payload (empty if there is nothing) to each participant that
    /// expects one from it, and nothing to the others. All sends and receives run at once, so one slow
    /// receiver does not hold back the others. A failure of any of them cancels the rest, so the
    /// exchange ends with the first error instead of waiting for parts that will not come.
    /// </remarks>
    public static Task<Dictionary<int, byte[]>> ExchangeAsync(DataPlane plane, IReadOnlyList<IPEndPoint> endpoints, int job, long epoch, int self,
        IReadOnlyDictionary<int, byte[]> outgoing, IReadOnlyCollection<int> expectFrom, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(outgoing);
        return ExchangeAsync(plane, endpoints, job, epoch, self, outgoing.ToDictionary(x => x.Key, x => (ReadOnlyMemory<byte>)x.Value), expectFrom, ct);
    }

    /// <summary>
    /// As <see cref="ExchangeAsync(DataPlane, IReadOnlyList{IPEndPoint}, int, long, int, IReadOnlyDictionary{int, byte[]}, IReadOnlyCollection{int}, CancellationToken)"/>,
    /// sending slices of the caller's buffers (which must stay unchanged until the returned task ends).
    /// </summary>
    public static async Task<Dictionary<int, byte[]>> ExchangeAsync(DataPlane plane, IReadOnlyList<IPEndPoint> endpoints, int job, long epoch, int self,
        IReadOnlyDictionary<int, ReadOnlyMemory<byte>> outgoing, IReadOnlyCollection<int> expectFrom, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plane);
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(outgoing);
        ArgumentNullException.ThrowIfNull(expectFrom);
        ArgumentOutOfRangeException.ThrowIfNegative(self);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(self, endpoints.Count);
        foreach (int p in outgoing.Keys.Concat(expectFrom))
        {
            if ((uint)p >= (uint)endpoints.Count) throw new ArgumentOutOfRangeException(nameof(outgoing), $"Participant {p} is not one of the {endpoints.Count} participants.");
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? first = null;
        var result = new Dictionary<int, byte[]>(expectFrom.Count);
        var parts = new List<Task>(outgoing.Count + expectFrom.Count);

        // Receives first: a blob that arrives early is kept anyway, but the waiter should be in place.
        foreach (int p in expectFrom)
        {
            if (p == self)
            {
                result[p] = !outgoing.TryGetValue(self, out var own) ? []
                    : System.Runtime.InteropServices.MemoryMarshal.TryGetArray(own, out var whole) && whole.Offset == 0 && whole.Count == whole.Array!.Length
                        ? whole.Array // a whole array is handed back as it is
                        : own.ToArray();
                continue;
            }
            parts.Add(Guard(ReceiveAsync(p)));
        }
        foreach (var (p, payload) in outgoing)
        {
            if (p != self) parts.Add(Guard(plane.SendBlobAsync(endpoints[p], job, epoch, self, payload, cancel.Token)));
        }
        try
        {
            await Task.WhenAll(parts).ConfigureAwait(false);
        }
        catch when (first is not null && !ct.IsCancellationRequested)
        {
            // The parts cancelled because of the first failure would hide it.
            ExceptionDispatchInfo.Throw(first);
        }
        return result;

        async Task ReceiveAsync(int p)
        {
            var data = await plane.ReceiveBlobAsync(job, epoch, p, cancel.Token).ConfigureAwait(false);
            lock (result) result[p] = data;
        }

        async Task Guard(Task part)
        {
            try
            {
                await part.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (Interlocked.CompareExchange(ref first, e, null) is null) await cancel.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }
    }
}
