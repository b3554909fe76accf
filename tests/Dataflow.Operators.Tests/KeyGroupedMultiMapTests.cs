using Dataflow.Operators.Tables;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Operators.Tests;

/// <summary>
/// <see cref="KeyGroupedMultiMap{TKey, TValue}"/> probed frozen: over integer keys it answers from a direct index,
/// which must agree with the hashed groups, and must not outlive a change of its groups.
/// </summary>
public class KeyGroupedMultiMapTests
{
    private static (KeyGroupedMultiMap<long, (long, int)> Map, Dictionary<long, List<(long, int)>> Expected) Build(int seed, int adds, long range, bool negatives)
    {
        var r = new Random(seed);
        var map = new KeyGroupedMultiMap<long, (long, int)>(128);
        var expected = new Dictionary<long, List<(long, int)>>();
        for (int i = 0; i < adds; i++)
        {
            long k = r.NextInt64(0, range);
            if (negatives && i % 50 == 0) k = -k - 1;
            map.Add(k, (k, i));
            (expected.TryGetValue(k, out var l) ? l : expected[k] = new()).Add((k, i));
        }
        map.Freeze();
        return (map, expected);
    }

    [Theory]
    [InlineData(1, 5_000, 2_000L, false)]       // dense ids: the direct index answers
    [InlineData(2, 5_000, 2_000L, true)]        // a negative key: hashed groups answer
    [InlineData(3, 2_000, 1L << 40, false)]     // ids far apart: too sparse for a direct index
    public void ValuesOf_Frozen_EveryKeyGetsItsValuesInInsertionOrder(int seed, int adds, long range, bool negatives)
    {
        var (map, expected) = Build(seed, adds, range, negatives);
        foreach (var (k, values) in expected) Assert.Equal(values, map.ValuesOf(k).ToArray());
        // Keys never added, in range and out of it.
        foreach (long k in new[] { -5L, range + 10, long.MaxValue, long.MinValue })
        {
            if (!expected.ContainsKey(k)) Assert.True(map.ValuesOf(k).IsEmpty);
        }
        for (long k = 0; k < Math.Min(range, 3_000); k++)
        {
            if (!expected.ContainsKey(k)) Assert.True(map.ValuesOf(k).IsEmpty);
        }
    }

    [Fact]
    public void ValuesOf_AfterGroupsReadIn_SeesTheNewGroups()
    {
        var (source, expected) = Build(4, 3_000, 1_000, false);
        var (target, _) = Build(5, 10, 1_000, false);
        foreach (var k in expected.Keys) target.ValuesOf(k); // builds the target's direct index over its few keys
        var writer = new ByteWriter();
        source.WriteGroups(0, 128, writer);
        target.ReadGroups(new ByteReader(writer.WrittenMemory));
        // Every group the source had now belongs to the target: its values are the source's.
        foreach (var (k, values) in expected) Assert.Equal(values, target.ValuesOf(k).ToArray());
    }

    [Fact]
    public void ValuesOf_RegroupedForAnotherParallelism_EachSubtaskSeesOnlyItsKeys()
    {
        var (map, expected) = Build(6, 4_000, 1_500, false);
        foreach (var k in expected.Keys) map.ValuesOf(k);
        var parts = Enumerable.Range(0, 3).Select(s => (KeyGroupedMultiMap<long, (long, int)>)map.Regroup([map], s, 3)).ToArray();
        foreach (var (k, values) in expected)
        {
            var found = parts.Where(p => !p.ValuesOf(k).IsEmpty).ToList();
            Assert.Single(found);
            Assert.Equal(values, found[0].ValuesOf(k).ToArray());
        }
    }
}
