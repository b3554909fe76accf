using Dataflow.Operators.Tables;
using Dataflow.Runtime.Serialization;
using Xunit.Abstractions;

namespace Dataflow.Operators.Tests;

/// <summary>
/// <see cref="HashMultiMap{TKey, TValue}.WriteTo"/> and <see cref="HashMultiMap{TKey, TValue}.ReadFrom"/>:
/// the cached join index moves between processes on a rescale and must arrive exactly as it left.
/// </summary>
public sealed class HashMultiMapSerializationTests
{
    private static HashMultiMap<TKey, TValue> RoundTrip<TKey, TValue>(HashMultiMap<TKey, TValue> map)
    {
        var writer = new ByteWriter();
        map.WriteTo(writer, Serializers.Get<TKey>(), Serializers.Get<TValue>());
        var reader = new ByteReader(writer.WrittenMemory);
        var read = HashMultiMap<TKey, TValue>.ReadFrom(reader, Serializers.Get<TKey>(), Serializers.Get<TValue>());
        Assert.Equal(0, reader.Remaining);
        return read;
    }

    /// <summary>Adds the values, round-trips the map, and checks every key's values in order and the counts.</summary>
    private static void AssertRoundTrip<TKey, TValue>(IReadOnlyList<(TKey Key, TValue Value)> adds, IEnumerable<TKey> absent) where TKey : notnull
    {
        var map = new HashMultiMap<TKey, TValue>();
        var expected = new Dictionary<TKey, List<TValue>>();
        foreach (var (k, v) in adds)
        {
            map.Add(k, v);
            if (!expected.TryGetValue(k, out var list)) expected[k] = list = new();
            list.Add(v);
        }

        var read = RoundTrip(map);

        Assert.True(read.IsFrozen);
        Assert.Equal(adds.Count, read.Count);
        Assert.Equal(expected.Count, read.KeyCount);
        foreach (var (k, values) in expected) Assert.Equal(values, read.ValuesOf(k).ToArray());
        foreach (var k in absent) Assert.True(read.ValuesOf(k).IsEmpty);
    }

    [Fact]
    public void ReadFrom_EmptyMap_ReadsEmptyFrozenMap() =>
        AssertRoundTrip<int, long>([], absent: [0, 1, -7]);

    [Fact]
    public void ReadFrom_OneKeyOneValue_ReadsIt() =>
        AssertRoundTrip<int, long>([(42, 7L)], absent: [0, 41]);

    [Fact]
    public void ReadFrom_OneKeyManyValues_KeepsTheirOrder() =>
        AssertRoundTrip(Enumerable.Range(0, 10_000).Select(i => (3, (i * 7919) % 1000)).ToList(), absent: [0]);

    [Theory]
    [InlineData(1, 10, 100)]
    [InlineData(2, 5000, 60_000)]
    [InlineData(3, 100_000, 150_000)] // many keys with a single value
    public void ReadFrom_ManyKeysWithVaryingValueCounts_KeepsEveryKeysValuesInOrder(int seed, int keyRange, int adds)
    {
        var r = new Random(seed);
        // Skewed counts: a few keys hold many values, most hold few; values repeat under one key.
        var list = Enumerable.Range(0, adds).Select(_ => (Key: (int)(keyRange * Math.Pow(r.NextDouble(), 3)), Value: (r.Next(5), (long)r.Next()))).ToList();
        AssertRoundTrip(list, absent: [-1, keyRange]);
    }

    [Fact]
    public void ReadFrom_StringKeysAndValues_KeepsEveryKeysValuesInOrder()
    {
        var r = new Random(4);
        var list = Enumerable.Range(0, 20_000).Select(i => (Key: r.Next(10) == 0 ? "" : "s" + r.Next(700), Value: i % 13 == 0 ? null : "v" + i)).ToList();
        AssertRoundTrip<string, string?>(list, absent: ["absent", "s700"]);
    }

    [Fact]
    public void ReadFrom_TruncatedInput_Throws()
    {
        var map = new HashMultiMap<int, int>();
        for (int i = 0; i < 100; i++) map.Add(i % 10, i);
        var writer = new ByteWriter();
        map.WriteTo(writer, Serializers.Get<int>(), Serializers.Get<int>());
        var truncated = writer.WrittenMemory[..(writer.Length - 5)];
        Assert.Throws<SerializationException>(() => HashMultiMap<int, int>.ReadFrom(new ByteReader(truncated), Serializers.Get<int>(), Serializers.Get<int>()));
    }

    [Theory]
    [InlineData(new[] { 1, 2 }, new[] { 2, 1 }, 2)] // offsets decrease
    [InlineData(new[] { 1, 2 }, new[] { 1, 2 }, 3)] // more values than the offsets cover
    [InlineData(new[] { 1, 1 }, new[] { 1, 2 }, 2)] // a key twice
    public void ReadFrom_InconsistentLayout_ThrowsSerializationException(int[] keys, int[] ends, int valueCount)
    {
        var writer = new ByteWriter();
        Serializers.Get<int>().WriteBatch(writer, keys);
        writer.WriteSpan<int>(ends);
        Serializers.Get<int>().WriteBatch(writer, new int[valueCount]);
        Assert.Throws<SerializationException>(() => HashMultiMap<int, int>.ReadFrom(new ByteReader(writer.WrittenMemory), Serializers.Get<int>(), Serializers.Get<int>()));
    }
}
