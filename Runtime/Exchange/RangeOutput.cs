namespace Dataflow.Runtime.Exchange;

/// <summary>
/// Sends records tagged with a range index of a global sort to the consumer that owns the range:
/// range <c>r</c> of <c>ranges</c> goes to subtask <c>r * consumers / ranges</c>. The mapping is
/// monotone, so consumers hold consecutive ranges in order even when their number differs from
/// the number of ranges (an iteration rescaled).
/// </summary>
public sealed class RangeOutput<T> : ExchangeOutput<(int Range, T Item)>
{
    private readonly int _ranges;
    private readonly (int, T)[][] _buffers;
    private readonly int[] _counts;

    /// <summary>Creates the output for <paramref name="ranges"/> ranges.</summary>
    public RangeOutput(ExchangeTargets targets, int ranges) : base(targets)
    {
        _ranges = Math.Max(1, ranges);
        int p = targets.Queues.Length;
        _buffers = new (int, T)[p][];
        _counts = new int[p];
        for (int i = 0; i < p; i++) _buffers[i] = Rent();
    }

    /// <summary>The consumer subtask of range <paramref name="range"/>.</summary>
    public static int SubtaskOf(int range, int ranges, int consumers) =>
        (int)Math.Clamp((long)range * consumers / Math.Max(1, ranges), 0, consumers - 1);

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<(int Range, T Item)> batch)
    {
        int consumers = _buffers.Length;
        int size = _targets.BatchSize;
        foreach (ref readonly var item in batch)
        {
            int t = SubtaskOf(item.Range, _ranges, consumers);
            int c = _counts[t];
            _buffers[t][c] = item;
            if (++c == size)
            {
                Send(t, _buffers[t], c);
                _buffers[t] = Rent();
                c = 0;
            }
            _counts[t] = c;
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        for (int t = 0; t < _buffers.Length; t++)
        {
            if (_counts[t] > 0) Send(t, _buffers[t], _counts[t]);
            else Return(_buffers[t], 0);
            _counts[t] = 0;
        }
        SendEndToAll();
    }
}
