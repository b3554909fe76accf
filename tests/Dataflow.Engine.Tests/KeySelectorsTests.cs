using Dataflow.Plan;

namespace Dataflow.Engine.Tests;

/// <summary>When the planner may treat two key selectors as one key (and so skip an exchange).</summary>
public class KeySelectorsTests
{
    private readonly record struct Item(long Id, string Name, (int A, int B) Pair);

    private sealed class Box(long id)
    {
        public long Id { get; } = id;
    }

    [Fact]
    public void Same_SameMemberInTwoLambdas_True()
    {
        Func<Item, long> a = x => x.Id;
        Func<Item, long> b = y => y.Id;
        Assert.True(KeySelectors.Same(a, b));
    }

    [Fact]
    public void Same_NestedTupleMembers_TrueOnlyForTheSameChain()
    {
        Func<Item, int> a = x => x.Pair.A;
        Func<Item, int> b = x => x.Pair.A;
        Func<Item, int> c = x => x.Pair.B;
        Assert.True(KeySelectors.Same(a, b));
        Assert.False(KeySelectors.Same(a, c));
    }

    [Fact]
    public void Same_ReferenceTypeGetter_True()
    {
        Func<Box, long> a = x => x.Id;
        Func<Box, long> b = x => x.Id;
        Assert.True(KeySelectors.Same(a, b));
    }

    [Fact]
    public void Same_ComputedKey_False()
    {
        Func<Item, long> a = x => x.Id;
        Func<Item, long> b = x => x.Id + 1;
        Func<Item, long> c = x => -x.Id;
        Assert.False(KeySelectors.Same(a, b));
        Assert.False(KeySelectors.Same(a, c));
    }

    [Fact]
    public void Same_CapturingClosures_FalseEvenWithEqualCode()
    {
        long offset = 0;
        Func<Item, long> a = x => x.Id + offset;
        Func<Item, long> b = x => x.Id + offset;
        offset = 1;
        Assert.False(KeySelectors.Same(a, b));
        Assert.True(KeySelectors.Same(a, a));
    }

    [Fact]
    public void Same_DifferentRecordTypes_False()
    {
        Func<(long Key, double Sum), long> a = p => p.Key;
        Func<(long Key, long Count), long> b = p => p.Key;
        Assert.False(KeySelectors.Same(a, b));
        Assert.False(KeySelectors.Same(a, null));
    }

    [Fact]
    public void Same_TupleKeyInGenericCodeAndUserCode_True()
    {
        Func<(long Key, double Sum), long> user = c => c.Key;
        Assert.True(KeySelectors.Same(Generic<long, double>(), user));
    }

    private static Func<(TKey Key, TValue Value), TKey> Generic<TKey, TValue>() => static p => p.Key;
}
