using Dataflow.Operators.Tables;

namespace Dataflow.Operators.Tests;

/// <summary><see cref="KeyOrderedBuffer{T}"/>: probes of a loop-invariant index handed back in key order, none lost.</summary>
public class KeyOrderedBufferTests
{
    [Theory]
    [InlineData(1, 1_000, 5_000)]
    [InlineData(2, 70_000, 200_000)]
    public void InKeyOrder_ShuffledKeysWithDuplicates_EqualsStableOrderBy(int seed, int range, int records)
    {
        var rng = new Random(seed);
        var input = Enumerable.Range(0, records).Select(i => (Key: rng.Next(range), Seq: i)).ToList();
        var buffer = new KeyOrderedBuffer<(int Key, int Seq)>();
        foreach (var r in input) buffer.Add(r, r.Key);

        var actual = buffer.InKeyOrder(range).ToArray();

        Assert.Equal(input.OrderBy(r => r.Key), actual); // LINQ's OrderBy is stable: a key's records in arrival order
    }

    [Fact]
    public void InKeyOrder_FewRecordsInALargeRange_ArrivalOrder()
    {
        var buffer = new KeyOrderedBuffer<long>();
        long[] keys = [900_000, 3, 500_000];
        foreach (var k in keys) buffer.Add(k, (int)k);

        Assert.Equal(keys, buffer.InKeyOrder(1_000_000).ToArray());
    }

    [Fact]
    public void Clear_ThenGatherAgain_HoldsOnlyTheNewRecordsInOrder()
    {
        var buffer = new KeyOrderedBuffer<string>();
        for (int i = 0; i < 3_000; i++) buffer.Add($"a{i}", (i * 7919) % 100);
        Assert.Equal(3_000, buffer.InKeyOrder(100).Length);
        buffer.Clear();

        string[] second = ["x", "y", "z", "w"];
        int[] keys = [3, 1, 2, 1];
        for (int i = 0; i < second.Length; i++) buffer.Add(second[i], keys[i]);

        Assert.Equal(4, buffer.Count);
        Assert.Equal(["y", "w", "z", "x"], buffer.InKeyOrder(4).ToArray());
    }
}
