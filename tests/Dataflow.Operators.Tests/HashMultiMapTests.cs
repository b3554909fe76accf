using Dataflow.Operators.Tables;

namespace Dataflow.Operators.Tests;

/// <summary><see cref="HashMultiMap{TKey, TValue}"/>: the build side of hash joins must return every value of a key.</summary>
public class HashMultiMapTests
{
    private static List<TValue> ValuesOf<TKey, TValue>(HashMultiMap<TKey, TValue> map, TKey key)
    {
        var list = new List<TValue>();
        list.AddRange(map.ValuesOf(key));
        return list;
    }

    private static void AgreeWithLookup<TKey>(Func<Random, TKey> key, int seed, int adds) where TKey : notnull
    {
        var r = new Random(seed);
        var map = new HashMultiMap<TKey, (TKey, int)>();
        var expected = new Dictionary<TKey, List<(TKey, int)>>();
        for (int i = 0; i < adds; i++)
        {
            var k = key(r);
            var v = (k, r.Next(5)); // duplicate values under one key happen often
            map.Add(k, v);
            if (!expected.TryGetValue(k, out var list)) expected[k] = list = new();
            list.Add(v);
        }
        Assert.Equal(adds, map.Count);
        Assert.Equal(expected.Count, map.KeyCount);
        foreach (var (k, values) in expected)
        {
            var actual = ValuesOf(map, k);
            Assert.Equal(values.Count, actual.Count);
            Assert.Equal(values.Order(), actual.Order());
        }
    }

    [Theory]
    [InlineData(1, 10, 100)]
    [InlineData(2, 1000, 20_000)]
    [InlineData(3, 1, 5000)] // one key holds every value
    [InlineData(4, 50_000, 60_000)]
    public void Add_RandomIntKeys_EveryKeyReturnsAllOfItsValues(int seed, int keyRange, int adds) =>
        AgreeWithLookup(r => r.Next(keyRange), seed, adds);

    [Fact]
    public void Add_StringKeys_EveryKeyReturnsAllOfItsValues() =>
        AgreeWithLookup(r => r.Next(10) == 0 ? "" : "s" + r.Next(700), seed: 5, adds: 20_000);

    [Fact]
    public void Add_KeysWithIdenticalHashes_EveryKeyReturnsAllOfItsValues() =>
        AgreeWithLookup(r =>
        {
            long a = r.Next(300);
            return (a << 32) | a;
        }, seed: 6, adds: 5000);

    [Fact]
    public void ValuesOf_MissingKey_ReturnsEmpty()
    {
        Assert.True(new HashMultiMap<int, string>().ValuesOf(3).IsEmpty);
        var map = new HashMultiMap<int, string>();
        map.Add(1, "a");
        map.Add(1, "b");
        Assert.True(map.ValuesOf(3).IsEmpty);
        Assert.Equal(new[] { "a", "b" }, ValuesOf(map, 1));
    }

    [Fact]
    public void Add_AfterFreeze_Throws()
    {
        var map = new HashMultiMap<int, string>();
        map.Add(1, "a");
        map.Freeze();
        Assert.Throws<InvalidOperationException>(() => map.Add(2, "b"));
    }
}

/// <summary><see cref="HashMultiMap{TKey, TValue}.Clear"/>: a map refilled every superstep answers for its new content only.</summary>
public class HashMultiMapClearTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Clear_RefilledWithOtherContent_AnswersOnlyTheNewValues(bool probeBeforeClear, bool keepsBuffers)
    {
        var map = new HashMultiMap<long, string> { KeepsBuffers = keepsBuffers };
        for (int round = 0; round < 4; round++)
        {
            var expected = new Dictionary<long, List<string>>();
            var r = new Random(round);
            int adds = round % 2 == 0 ? 5_000 : 300; // grow, shrink, grow again: the kept buffers are reused or regrown
            for (int i = 0; i < adds; i++)
            {
                long k = r.Next(0, adds / 3 + 1);
                string v = $"{round}:{i}";
                map.Add(k, v);
                (expected.TryGetValue(k, out var l) ? l : expected[k] = new()).Add(v);
            }
            foreach (var (k, values) in expected) Assert.Equal(values, map.ValuesOf(k).ToArray());
            Assert.True(map.ValuesOf(-1).IsEmpty);
            Assert.Equal(adds, map.Count);
            if (probeBeforeClear) Assert.Equal(expected.Count, map.KeyCount);
            map.Clear();
            Assert.Equal(0, map.Count);
            Assert.True(map.ValuesOf(expected.Keys.First()).IsEmpty);
            map.Clear();
        }
    }

    [Fact]
    public void Freeze_OrdersKeys_LaysOutIntegerKeysAscendingWithTheirValues()
    {
        var rng = new Random(5);
        var pairs = Enumerable.Range(0, 5_000).Select(i => (Key: (long)rng.Next(0, 700), Value: i)).ToList();
        var map = new HashMultiMap<long, int>(16) { OrdersKeys = true };
        foreach (var (k, v) in pairs) map.Add(k, v);
        map.Freeze();

        var keys = map.FrozenKeys.ToArray();
        Assert.Equal(keys.Order(), keys);
        var starts = map.FrozenStarts;
        for (int o = 0; o < keys.Length; o++)
        {
            var expected = pairs.Where(p => p.Key == keys[o]).Select(p => p.Value); // insertion order within a key
            Assert.Equal(expected, map.FrozenValues.AsSpan(starts[o], starts[o + 1] - starts[o]).ToArray());
            Assert.Equal(expected, map.ValuesOf(keys[o]).ToArray());
        }
    }
}
