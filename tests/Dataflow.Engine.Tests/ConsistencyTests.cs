using System.Globalization;

using Dataflow.Iterations;
using Dataflow.Runtime.Partitioning;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Engine.Tests;

public readonly record struct SKey(string Name, int Part);

public sealed record CKey(string Name, int Part);

public sealed class IdentityKey(string name)
{
    public string Name { get; } = name;
}

public sealed record TaggedKey(string Name, List<string> Tags);

/// <summary>
/// What could differ between processes or parallelisms: key hashes, culture, -0.0 and NaN keys,
/// aggregators updated together. Every job must give the same answer everywhere or be refused.
/// </summary>
public class ConsistencyTests
{
    private sealed class Recorder : IDataflowObserver
    {
        public List<SuperstepStatistics> Supersteps { get; } = new();

        public void OnSuperstep(SuperstepStatistics s) => Supersteps.Add(s);
    }

    private static DataSet<(string Name, int Part, long V)> Rows(DataflowEnvironment env) =>
        env.Generate(120_000, i => (Name: "user" + (i % 997), Part: (int)(i % 7), V: i));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task GroupBy_RecordKeysWithStringMembers_EveryKeyOnceWithItsWholeCount(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var byStruct = await Rows(env).GroupBy(r => new SKey(r.Name, r.Part)).Count().CollectAsync();
        var byClass = await Rows(env).GroupBy(r => new CKey(r.Name, r.Part)).Count().CollectAsync();
        var expected = Enumerable.Range(0, 120_000).GroupBy(i => ("user" + (i % 997), i % 7)).ToDictionary(g => g.Key, g => (long)g.Count());
        Assert.Equal(6_979, expected.Count);
        Assert.Equal(expected.Count, byStruct.Count);
        Assert.Equal(expected.Count, byClass.Count);
        foreach (var (k, c) in byStruct) Assert.Equal(expected[(k.Name, k.Part)], c);
        foreach (var (k, c) in byClass) Assert.Equal(expected[(k.Name, k.Part)], c);
    }

    [Fact]
    public void GroupBy_KeyComparedByReference_IsRefusedWhenThePlanIsBuilt()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var e = Assert.Throws<UnstableKeyException>(() => Rows(env).GroupBy(r => new IdentityKey(r.Name)).Count());
        Assert.Contains("IdentityKey compares by reference", e.Message, StringComparison.Ordinal);
        Assert.Contains("new IdentityKey(r.Name)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JoinAndDistinct_KeyWithListMember_AreRefusedNamingTheMember()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var tagged = env.FromCollection(new[] { new TaggedKey("a", ["x"]) });
        var e = Assert.Throws<UnstableKeyException>(() => tagged.Join(tagged, t => t, t => t, (a, b) => a.Name));
        Assert.Contains("member TaggedKey.Tags (List<String>) compares by reference", e.Message, StringComparison.Ordinal);
        Assert.Throws<UnstableKeyException>(() => tagged.Distinct());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task GroupBy_NegativeZeroAndNaNKeys_OneGroupEachAsLinq(int p)
    {
        double[] values = [0.0, -0.0, double.NaN, -double.NaN, BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000001)), 1.5, -1.5, 1.5];
        var input = Enumerable.Range(0, 4_000).Select(i => (Key: values[i % values.Length], V: 1L)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(x => x.Key).Sum(x => x.V).CollectAsync();
        var expected = input.GroupBy(x => x.Key).Select(g => (g.Key, g.Sum(x => x.V))).ToList();
        Assert.Equal(4, expected.Count); // 0, NaN, 1.5, -1.5
        Multiset.Equal(expected, actual);
        var tupled = await env.FromCollection(input).GroupBy(x => (x.Key, "k")).Count().CollectAsync();
        Assert.Equal(4, tupled.Count);
    }

    [Fact]
    public void Aggregator_TwoOfOneTypeAddedAlternately_KeepOnePartialPerThread()
    {
        var sum = new Aggregator<double>("sum", 0.0, static (a, b) => a + b);
        var max = new Aggregator<double>("max", double.NegativeInfinity, Math.Max);
        var threads = Enumerable.Range(0, 3).Select(t => new Thread(() =>
        {
            for (int i = 1; i <= 10_000; i++)
            {
                sum.Add(1);
                max.Add(t * 100_000 + i);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(3, sum.PartialCount);
        Assert.Equal(3, max.PartialCount);
        ((IAggregator)sum).Barrier();
        ((IAggregator)max).Barrier();
        Assert.Equal(30_000.0, sum.Value);
        Assert.Equal(210_000.0, max.Value);

        // The next superstep starts afresh on a thread that added before.
        for (int i = 0; i < 100; i++)
        {
            sum.Add(2);
            max.Add(-i);
        }
        Assert.Equal(1, sum.PartialCount);
        ((IAggregator)sum).Barrier();
        ((IAggregator)max).Barrier();
        Assert.Equal(200.0, sum.Value);
        Assert.Equal(0.0, max.Value);
    }

    [Fact]
    public async Task IterateBulk_SumAndMaxUpdatedByOneOperator_BothCorrectEverySuperstep()
    {
        var env = DataflowEnvironment.CreateLocal(3);
        var recorder = new Recorder();
        env.AddObserver(recorder);
        var result = await env.FromCollection(Enumerable.Range(1, 5_000).Select(i => (double)i).ToList())
            .IterateBulk(3, (xs, ctx) =>
            {
                var sum = ctx.Sum("sum");
                var max = ctx.Max("max");
                return xs.Select(x =>
                {
                    sum.Add(x);
                    max.Add(x);
                    return x + 1;
                });
            })
            .CollectAsync();
        Assert.Equal(5_000, result.Count);
        for (int s = 0; s < 3; s++)
        {
            var aggregators = recorder.Supersteps[s].Aggregators;
            Assert.Equal(5_000 * 5_001 / 2.0 + 5_000.0 * s, (double)aggregators["sum"]!);
            Assert.Equal(5_000.0 + s, (double)aggregators["max"]!);
        }
    }
}

/// <summary>Tests that change the process's default culture, run while no other test runs.</summary>
[CollectionDefinition(nameof(ProcessCulture), DisableParallelization = true)]
public sealed class ProcessCulture;

[Collection(nameof(ProcessCulture))]
public class CultureTests
{
    [Fact]
    public async Task UserFunctions_UnderGermanCulture_ParseAndFormatInvariantly()
    {
        // The default of every thread, as on a worker whose locale is German: new threads start with it.
        var previous = CultureInfo.CurrentCulture;
        var german = new CultureInfo("de-DE");
        CultureInfo.DefaultThreadCurrentCulture = german;
        CultureInfo.CurrentCulture = german;
        var dir = Directory.CreateTempSubdirectory("dataflow-culture-").FullName;
        try
        {
            Assert.Equal("1,5", 1.5.ToString(CultureInfo.CurrentCulture)); // the culture is really German here
            var csv = Path.Combine(dir, "in.csv");
            await File.WriteAllTextAsync(csv, "1.5,2.25\n-3.5e2,4\n");
            var env = DataflowEnvironment.CreateLocal(2);
            var parsed = await env.ReadCsv(csv, row => (row.GetDouble(0), row.GetDouble(1))).CollectAsync();
            Assert.Equal(new[] { (-350.0, 4.0), (1.5, 2.25) }, parsed.Order());

            // A user function that parses and formats with the current culture, as most code does.
            var lines = env.FromCollection(new[] { "2.5", "0.125" }).Select(s => double.Parse(s) * 2).Select(d => (d, d.ToString()));
            var output = Path.Combine(dir, "out.txt");
            await lines.WriteTextAsync(output);
            Assert.Equal(new[] { "(0.25, 0.25)", "(5, 5)" }, File.ReadAllLines(output).Order(StringComparer.Ordinal));
            Assert.Equal("1,5", 1.5.ToString(CultureInfo.CurrentCulture)); // the caller's culture is left alone
        }
        finally
        {
            CultureInfo.DefaultThreadCurrentCulture = null;
            CultureInfo.CurrentCulture = previous;
            Directory.Delete(dir, recursive: true);
        }
    }
}
