using Dataflow.Operators.Tables;

namespace Dataflow.Operators.Tests;

public readonly record struct Point(int X, string Label);

/// <summary><see cref="OpenHashMap{TKey, TValue}"/> against <see cref="Dictionary{TKey, TValue}"/> on seeded random operations.</summary>
public class OpenHashMapTests
{
    /// <summary>Runs random upserts, lookups and occasional clears on both maps and compares them after every step.</summary>
    private static void AgreeWithDictionary<TKey>(Func<Random, TKey> key, int seed, int capacity, int operations, double clearRate = 0.0005)
        where TKey : notnull
    {
        var r = new Random(seed);
        var map = new OpenHashMap<TKey, long>(capacity);
        var dict = new Dictionary<TKey, long>();
        var order = new List<TKey>();
        for (int op = 0; op < operations; op++)
        {
            double dice = r.NextDouble();
            var k = key(r);
            if (dice < clearRate)
            {
                map.Clear();
                dict.Clear();
                order.Clear();
                Assert.Equal(0, map.Count);
            }
            else if (dice < 0.65)
            {
                long delta = r.Next(1, 100);
                ref long v = ref map.GetValueRefOrAddDefault(k, out bool exists);
                if (dict.ContainsKey(k) != exists)
                {
                    Assert.Fail($"key {k}: Dictionary contains it: {dict.ContainsKey(k)}, OpenHashMap says exists: {exists} (keys so far: {string.Join(", ", order)})");
                }
                if (!exists)
                {
                    Assert.Equal(0, v); // a new entry starts at default, even after Clear reused the slot
                    order.Add(k);
                }
                else
                {
                    Assert.Equal(dict[k], v);
                }
                v += delta;
                dict[k] = dict.GetValueOrDefault(k) + delta;
            }
            else
            {
                int i = map.IndexOf(k);
                if (dict.TryGetValue(k, out long expected))
                {
                    Assert.True(i >= 0, $"key {k} is present but IndexOf returned -1");
                    Assert.Equal(k, map.Keys[i]);
                    Assert.Equal(expected, map.ValueAt(i));
                }
                else
                {
                    Assert.Equal(-1, i);
                }
            }
            Assert.Equal(dict.Count, map.Count);
        }
        // Dense arrays in insertion order.
        Assert.Equal(order, map.Keys.ToArray());
        for (int i = 0; i < map.Count; i++) Assert.Equal(dict[map.Keys[i]], map.Values[i]);
    }

    [Theory]
    [InlineData(1, 1, 100)]
    [InlineData(2, 16, 1000)]
    [InlineData(3, 16, 50_000)] // grows many times
    [InlineData(4, 100_000, 50_000)]
    [InlineData(5, 0, 30)]
    public void RandomOperations_IntKeys_AgreeWithDictionary(int seed, int capacity, int keyRange) =>
        AgreeWithDictionary(r => r.Next(-keyRange, keyRange), seed, capacity, 60_000);

    [Fact]
    public void RandomOperations_SequentialIntKeys_AgreeWithDictionary() =>
        AgreeWithDictionary(r => r.Next(200_000) * 128, seed: 6, capacity: 4, operations: 60_000, clearRate: 0);

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomOperations_StringKeys_AgreeWithDictionary(int seed) =>
        AgreeWithDictionary(r => r.Next(8) == 0 ? "" : $"k{r.Next(5000)}é", seed, capacity: 8, operations: 40_000);

    [Fact]
    public void RandomOperations_LongKeysWithIdenticalHashes_AgreeWithDictionary()
    {
        // (a << 32) | a folds to the same 32-bit stable hash for every a: all keys collide.
        AgreeWithDictionary(r =>
        {
            long a = r.Next(1500);
            return (a << 32) | a;
        }, seed: 9, capacity: 16, operations: 20_000);
    }

    [Fact]
    public void RandomOperations_ValueTupleKeys_AgreeWithDictionary() =>
        AgreeWithDictionary(r => (r.Next(100), r.Next(3) == 0 ? "x" : "y", r.Next(2) == 0), seed: 10, capacity: 2, operations: 40_000);

    [Fact]
    public void RandomOperations_RecordStructKeys_AgreeWithDictionary() =>
        AgreeWithDictionary(r => new Point(r.Next(2000), r.Next(2) == 0 ? "a" : "b"), seed: 11, capacity: 16, operations: 40_000);

    [Fact]
    public void RandomOperations_DoubleKeys_AgreeWithDictionary() =>
        // Dictionary<double> treats 0.0 and -0.0 (and every NaN) as one key.
        AgreeWithDictionary(r => r.Next(4) switch { 0 => 0.0, 1 => -0.0, 2 => double.NaN, _ => r.Next(50) / 4.0 }, seed: 12, capacity: 16, operations: 5000);

    [Fact]
    public void GetValueRefOrAddDefault_UpdateThroughRef_IsVisibleToLaterLookups()
    {
        var map = new OpenHashMap<string, int>();
        map.GetValueRefOrAddDefault("a", out _) = 5;
        ref int v = ref map.GetValueRefOrAddDefault("a", out bool exists);
        Assert.True(exists);
        v *= 3;
        Assert.Equal(15, map.ValueAt(map.IndexOf("a")));
        Assert.Equal(-1, map.IndexOf("b"));
    }

    [Fact]
    public void Clear_AfterGrowth_EmptiesMapAndAllowsReuse()
    {
        var map = new OpenHashMap<int, string>(4);
        for (int i = 0; i < 10_000; i++) map.GetValueRefOrAddDefault(i, out _) = i.ToString();
        map.Clear();
        Assert.Equal(0, map.Count);
        for (int i = 0; i < 10_000; i += 7) Assert.Equal(-1, map.IndexOf(i));
        ref string s = ref map.GetValueRefOrAddDefault(42, out bool exists);
        Assert.False(exists);
        Assert.Null(s);
        Assert.Equal(1, map.Count);
    }
}
