using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Tests;

/// <summary>The final stage of Distinct streams while its table is small and partitions by hash past that; both equal LINQ.</summary>
public class DistinctOperatorTests
{
    private static List<T> Run<T, TKey>(T[] records, Func<T, TKey> key, int batch, int forgetAt = int.MaxValue)
    {
        var sink = new ListCollector<T>();
        var op = new DistinctOperator<T, TKey>(key, sink, new OperatorInfo("Distinct", 0, 1000), forgetAt);
        for (int i = 0; i < records.Length; i += batch) op.Push(records.AsSpan(i, Math.Min(batch, records.Length - i)));
        op.Close();
        Assert.True(sink.Closed);
        return sink.Items;
    }

    [Theory]
    [InlineData(1_000, 5_000)]      // streams all the way
    [InlineData(300_000, 200_000)]  // partitions after 65 536 keys; keys from before the switch come again after it
    [InlineData(100_000, 1_000_000)] // mostly duplicates
    public void Push_EdgePairs_EqualsLinqDistinct(int distinct, int records)
    {
        var rng = new Random(distinct);
        var pool = Enumerable.Range(0, distinct).Select(_ => (Src: rng.NextInt64(0, 1 << 20), Dst: rng.NextInt64(0, 1 << 20))).ToArray();
        var input = Enumerable.Range(0, records).Select(i => pool[i < distinct ? i : rng.Next(distinct)]).ToArray();
        var actual = Run(input, static x => x, 1_777);
        Assert.Equal(input.Distinct().Order(), actual.Order());
    }

    [Fact]
    public void Push_ManyDuplicatesPastThePartitioningPoint_StreamsOnAndEqualsLinq()
    {
        // Each key three times in a row: at 64 K keys a third of the records were new, so the stage keeps streaming (buffering
        // every record until the end would hold three times what the table of keys holds).
        var input = Enumerable.Range(0, 600_000).Select(i => (long)(i / 3 % 150_000)).ToArray();
        var sink = new ListCollector<long>();
        var op = new DistinctOperator<long, long>(static x => x, sink, new OperatorInfo("Distinct", 0, 1000));
        for (int i = 0; i < input.Length; i += 1_000)
        {
            op.Push(input.AsSpan(i, 1_000));
            if (i == 300_000) Assert.Equal(100_334, sink.Items.Count); // still streaming: every new key already passed on
        }
        op.Close();
        Assert.Equal(input.Distinct().Order(), sink.Items.Order());
    }

    [Fact]
    public void Push_DistinctByKeyPastThePartitioningPoint_KeepsTheFirstRecordOfEveryKey()
    {
        // Key i's first record has Seq = i, later ones larger: the one kept must be the first.
        const int keys = 150_000;
        var input = Enumerable.Range(0, keys).Select(i => (Key: (long)i, Seq: i))
            .Concat(Enumerable.Range(0, 3 * keys).Select(i => (Key: (long)(i % keys), Seq: keys + i))).ToArray();
        var actual = Run(input, static x => x.Key, 4_096);
        Assert.Equal(keys, actual.Count);
        Assert.All(actual, x => Assert.Equal(x.Key, x.Seq));
    }

    [Fact]
    public void Push_CombinerBound_PassesSomeDuplicatesOnButNoKeyIsLost()
    {
        // Each key twice in a row, and the whole sequence again past the bound: the second copies are dropped, the rest pass.
        var input = Enumerable.Range(0, 280_000).Select(i => (long)(i / 2 % 70_000)).ToArray();
        var actual = Run(input, static x => x, 1_000, forgetAt: 1 << 16);
        Assert.Equal(input.Distinct().Order(), actual.Distinct().Order());
        Assert.True(actual.Count < input.Length, "the combiner drops the duplicates it still remembers");
    }

    [Fact]
    public void Push_KeyThrowsAfterPartitioning_NamesTheOperator()
    {
        var input = Enumerable.Range(0, 100_000).Select(i => (long)i).ToArray();
        var sink = new ListCollector<long>();
        var op = new DistinctOperator<long, long>(x => x == 90_000 ? throw new InvalidOperationException("bad key") : x, sink,
            new OperatorInfo("Distinct(record)", 1, 1000));
        var e = Assert.Throws<UserCodeException>(() => op.Push(input));
        Assert.Equal("Distinct(record)", e.OperatorName);
        Assert.Equal(1, e.Subtask);
    }
}
