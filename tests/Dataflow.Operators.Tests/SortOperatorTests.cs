using Dataflow.Operators.Core;
using Dataflow.Operators.Sorting;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Tests;

public class SortOperatorTests
{
    private static readonly OperatorInfo Info = new("op", 0, 64);

    private static List<(int Range, int Item)> Partition(int[] sample, int[] records, int ranges)
    {
        var sink = new ListCollector<(int Range, int Item)>();
        var op = new RangePartitionOperator<int>(Comparer<int>.Default, ranges, sink, Info);
        op.Probe.Push(records.AsSpan(0, records.Length / 2)); // early probe records wait for the sample
        op.Build.Push(sample);
        op.Build.Close();
        op.Probe.Push(records.AsSpan(records.Length / 2));
        op.Probe.Close();
        Assert.True(sink.Closed);
        return sink.Items;
    }

    [Fact]
    public void RangePartition_UniformKeys_RangesOrderedAndBalanced()
    {
        var r = new Random(1);
        var records = Enumerable.Range(0, 40_000).Select(_ => r.Next(1_000_000)).ToArray();
        var sample = records.Where((_, i) => i % 97 == 0).ToArray();
        var tagged = Partition(sample, records, ranges: 4);
        Assert.Equal(records.Length, tagged.Count);
        var byRange = tagged.GroupBy(x => x.Range).OrderBy(g => g.Key).ToList();
        Assert.Equal(4, byRange.Count);
        for (int i = 1; i < byRange.Count; i++) Assert.True(byRange[i - 1].Max(x => x.Item) < byRange[i].Min(x => x.Item));
        // Every range holds a fair share (expected 25%; a sample of ~400 keeps it well within 15-35%).
        Assert.All(byRange, g => Assert.InRange(g.Count(), 6000, 14_000));
    }

    [Fact]
    public void RangePartition_SampleInAnyOrder_SameRanges()
    {
        var r = new Random(2);
        var records = Enumerable.Range(0, 5000).Select(_ => r.Next(50)).ToArray();
        var sample = records.Take(300).ToArray();
        var shuffled = sample.OrderBy(_ => r.Next()).ToArray();
        Assert.Equal(Partition(sample, records, 7), Partition(shuffled, records, 7));
    }

    [Fact]
    public void RangePartition_EqualKeys_ShareOneRange()
    {
        var records = Enumerable.Repeat(5, 1000).Concat(Enumerable.Range(0, 10)).ToArray();
        var tagged = Partition(records, records, ranges: 3);
        Assert.Single(tagged.Where(x => x.Item == 5).Select(x => x.Range).Distinct());
    }

    [Fact]
    public void RangePartition_EmptySample_EverythingInRangeZero()
    {
        var tagged = Partition([], [3, 1, 2], ranges: 4);
        Assert.All(tagged, x => Assert.Equal(0, x.Range));
    }

    [Fact]
    public void Sample_LargeInput_KeepsAtMostSizeRecordsOfTheInput()
    {
        var sink = new ListCollector<int>();
        var op = new SampleOperator<int>(100, sink, Info);
        var input = Enumerable.Range(0, 10_000).ToArray();
        op.Push(input);
        op.Close();
        Assert.Equal(100, sink.Items.Count);
        Assert.Equal(100, sink.Items.Distinct().Count());
        Assert.True(sink.Items.Max() > 5000); // a reservoir, not the first 100
    }

    [Fact]
    public void Top_ManyBatches_GreatestFirst()
    {
        var sink = new ListCollector<int>();
        var op = new TopOperator<int, int>(5, x => x, Comparer<int>.Default, emitSorted: true, sink, Info);
        var input = Enumerable.Range(0, 1000).Select(i => i * 7919 % 1000).ToArray();
        for (int i = 0; i < input.Length; i += 33) op.Push(input.AsSpan(i, Math.Min(33, input.Length - i)));
        op.Close();
        Assert.Equal([999, 998, 997, 996, 995], sink.Items);
    }

    [Fact]
    public void TakeMerge_PartitionsArriveInterleaved_ConcatenatesInPartitionOrder()
    {
        var sink = new ListCollector<string>();
        var op = new TakeMergeOperator<string>(5, sink, Info);
        op.Push([(2, "c1"), (0, "a1")]);
        op.Push([(1, "b1"), (0, "a2"), (2, "c2")]);
        op.Close();
        Assert.Equal(["a1", "a2", "b1", "c1", "c2"], sink.Items);
    }
}
