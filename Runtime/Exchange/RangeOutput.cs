namespace Dataflow.Runtime.Exchange;

/// <summary>
/// Sends records tagged with a range index of a global sort to the consumer that owns the range:
/// range <c>r</c> of <c>ranges</c> goes to subtask <c>r * consumers / ranges</c>. The mapping is
/// monotone, so consumers hold consecutive ranges in order even when their number differs from
/// the number of ranges (an iteration rescaled).
/// </summary>
public sealed class RangeOutput<T> : PartitioningOutput<(int Range, T Item)>
{
    private readonly int _ranges;

    /// <summary>Creates the output for <paramref name="ranges"/> ranges.</summary>
    public RangeOutput(ExchangeTargets targets, int ranges) : base(targets)
    {
        _ranges = Math.Max(1, ranges);
    }

    /// <summary>The consumer subtask of range <paramref name="range"/>.</summary>
    public static int SubtaskOf(int range, int ranges, int consumers) =>
        (int)Math.Clamp((long)range * consumers / Math.Max(1, ranges), 0, consumers - 1);

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<(int Range, T Item)> batch)
    {
        int consumers = Consumers;
        foreach (ref readonly var item in batch) Append(SubtaskOf(item.Range, _ranges, consumers), item);
    }
}
