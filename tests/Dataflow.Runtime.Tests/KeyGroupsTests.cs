using Dataflow.Runtime.Partitioning;

namespace Dataflow.Runtime.Tests;

public class KeyGroupsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(128)]
    public void RangeOf_AllSubtasks_PartitionKeyGroupsContiguouslyAndAgreeWithSubtaskOf(int parallelism)
    {
        int next = 0;
        for (int s = 0; s < parallelism; s++)
        {
            var (start, end) = KeyGroups.RangeOf(s, parallelism, 128);
            Assert.Equal(next, start);
            Assert.True(end > start, "every subtask owns at least one key group");
            for (int g = start; g < end; g++) Assert.Equal(s, KeyGroups.SubtaskOf(g, parallelism, 128));
            next = end;
        }
        Assert.Equal(128, next);
    }

    [Fact]
    public void KeyGroupOf_SequentialIntegers_SpreadEvenly()
    {
        var counts = new int[128];
        for (int i = 0; i < 128_000; i++) counts[KeyGroups.KeyGroupOf(StableHash.Of(i), 128)]++;
        Assert.All(counts, c => Assert.InRange(c, 800, 1200));
    }

    [Fact]
    public void StableHash_String_IsIndependentOfProcessRandomization()
    {
        // FNV-1a of "dataflow" over UTF-16 code units, computed independently of the implementation.
        uint h = 2166136261;
        foreach (char c in "dataflow") h = (h ^ c) * 16777619;
        Assert.Equal((int)h, StableHash.Of("dataflow"));
        Assert.Equal(StableHash.Chars("dataflow".AsSpan()), StableHash.Of("dataflow"));
    }

    [Fact]
    public void StableHash_ValueTuple_DependsOnlyOnComponents()
    {
        Assert.Equal(StableHash.Of((1, "a")), StableHash.Of((1, new string('a', 1))));
        Assert.NotEqual(StableHash.Of((1, 2)), StableHash.Of((2, 1)));
        Assert.Equal(StableHash.Of(42L), StableHash.Of(42L));
    }
}
