namespace Dataflow.Engine.Tests;

/// <summary>
/// Every operator against LINQ to Objects on seeded random inputs, at parallelism 1, 2 and 4.
/// Outputs are compared as multisets because the engine's output order is unspecified.
/// This file: record-at-a-time operators, sources, Union, Distinct and repartitioning.
/// </summary>
public class LinqEquivalenceTests
{
    private const string Members = Data.Members;

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Select_ValueTuples_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 1));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Select(x => (x.Key * 31L + x.Value, x.Key.ToString())).CollectAsync();
        Multiset.Equal(input.Select(x => (x.Key * 31L + x.Value, x.Key.ToString())), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Select_StringArray_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 2)).ToArray(); // arrays take the batch-span source path
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Select(w => w.ToUpperInvariant() + "|" + w.Length).CollectAsync();
        Multiset.Equal(input.Select(w => w.ToUpperInvariant() + "|" + w.Length), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Where_RecordStructs_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 3));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Where(o => o.Amount % 3 == 0 || o.Tag == "b").CollectAsync();
        Multiset.Equal(input.Where(o => o.Amount % 3 == 0 || o.Tag == "b"), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Where_RejectsEverything_ReturnsEmpty(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 4));
        var env = DataflowEnvironment.CreateLocal(p);
        Assert.Empty(await env.FromCollection(input).Where(_ => false).CollectAsync());
        Assert.Equal(input.Count, await env.FromCollection(input).Where(_ => true).CountAsync());
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task SelectMany_VariableFanOut_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 5));
        var env = DataflowEnvironment.CreateLocal(p);
        // 0..3 outputs per record: some records vanish, some multiply.
        var actual = await env.FromCollection(input)
            .SelectMany(x => Enumerable.Range(0, (int)(Math.Abs(x.Value) % 4)).Select(i => (x.Key, i)))
            .CollectAsync();
        Multiset.Equal(input.SelectMany(x => Enumerable.Range(0, (int)(Math.Abs(x.Value) % 4)).Select(i => (x.Key, i))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FlatMap_EmitterWithLargeFanOut_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 6));
        var env = DataflowEnvironment.CreateLocal(p);
        // Up to 1100 outputs for one record: more than one batch from a single call.
        var actual = await env.FromCollection(input)
            .FlatMap<string>((o, emit) =>
            {
                int n = o.Id % 331 == 330 ? 1100 : o.Customer % 3;
                for (int i = 0; i < n; i++) emit.Emit($"{o.Id}:{i}");
            })
            .CollectAsync();
        var expected = input.SelectMany(o => Enumerable.Range(0, o.Id % 331 == 330 ? 1100 : o.Customer % 3).Select(i => $"{o.Id}:{i}"));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Distinct_ValueTuples_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 7));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Distinct().CollectAsync();
        Multiset.Equal(input.Distinct(), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Distinct_Strings_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 8));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Distinct().CollectAsync();
        Multiset.Equal(input.Distinct(StringComparer.Ordinal), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Distinct_RecordStructs_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 9));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Distinct().CollectAsync();
        Multiset.Equal(input.Distinct(), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task DistinctBy_Key_KeepsOneInputRecordPerKey(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 10));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).DistinctBy(o => o.Customer).CollectAsync();
        Multiset.Equal(input.Select(o => o.Customer).Distinct(), actual.Select(o => o.Customer), "keys");
        var inputSet = input.ToHashSet();
        Assert.All(actual, o => Assert.Contains(o, inputSet));
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task DistinctBy_StringKey_KeepsOneInputRecordPerKey(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 11));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).DistinctBy(w => w.Length).CollectAsync();
        Multiset.Equal(input.Select(w => w.Length).Distinct(), actual.Select(w => w.Length), "keys");
        Assert.All(actual, w => Assert.Contains(w, input));
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Union_TwoDataSets_IsConcatenationAsMultiset(Shape shape, int p)
    {
        var a = Gen.Pairs(shape, Gen.Seed(shape, p, 12));
        var b = Gen.Pairs(Shape.Small, Gen.Seed(shape, p, 13));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(a).Union(env.FromCollection(b)).CollectAsync();
        Multiset.Equal(a.Concat(b), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Union_WithItself_DoublesEveryRecord(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 14));
        var env = DataflowEnvironment.CreateLocal(p);
        var ds = env.FromCollection(input).Select(w => w + "!");
        var actual = await ds.Union(ds).CollectAsync();
        Multiset.Equal(input.Concat(input).Select(w => w + "!"), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Union_SequentialSourceWithParallelSource_IsConcatenationAsMultiset(Shape shape, int p)
    {
        var a = Gen.Orders(shape, Gen.Seed(shape, p, 15));
        var b = Gen.Orders(Shape.Small, Gen.Seed(shape, p, 16));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromEnumerable(a.Select(o => o)).Union(env.FromCollection(b)).Union(env.FromCollection(a)).CollectAsync();
        Multiset.Equal(a.Concat(b).Concat(a), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task PartitionByHash_AnyInput_LeavesRecordsUnchanged(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 17));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).PartitionByHash(o => o.Tag).CollectAsync();
        Multiset.Equal(input, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task PartitionByHash_ThenCountOnSameKey_PutsEachKeyOnOneSubtask(Shape shape, int p)
    {
        // The count after PartitionByHash with the same selector runs without a second exchange,
        // so a key split over two subtasks would show up as two result rows for that key.
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 18));
        var env = DataflowEnvironment.CreateLocal(p);
        Func<(int Key, long Value), int> key = x => x.Key;
        var actual = await env.FromCollection(input).PartitionByHash(key).GroupBy(key).Count().CollectAsync();
        Multiset.Equal(input.GroupBy(x => x.Key).Select(g => (g.Key, (long)g.Count())), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Rebalance_AnyInput_LeavesRecordsUnchanged(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 19));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Rebalance().Select(x => x).CollectAsync();
        Multiset.Equal(input, actual);
        var fromSequential = await env.FromEnumerable(input.Where(_ => true)).Rebalance().CollectAsync();
        Multiset.Equal(input, fromSequential, "after a sequential source");
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FromEnumerable_FeedingParallelOperators_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 20));
        var env = DataflowEnvironment.CreateLocal(p);
        var source = env.FromEnumerable(input.Select(o => o)); // a lazy sequence, read by one subtask
        Assert.Equal(1, source.Parallelism);
        var mapped = await source.Select(o => o.Amount * 2).CollectAsync();
        Multiset.Equal(input.Select(o => o.Amount * 2), mapped, "Select");
        var counts = await source.GroupBy(o => o.Customer).Count().CollectAsync();
        Multiset.Equal(input.GroupBy(o => o.Customer).Select(g => (g.Key, (long)g.Count())), counts, "GroupBy.Count");
        var distinct = await source.Distinct().CollectAsync();
        Multiset.Equal(input.Distinct(), distinct, "Distinct");
        Assert.Equal(input.Count, await source.CountAsync());
    }

    [Theory]
    [InlineData(0L, 1)]
    [InlineData(1L, 4)]
    [InlineData(3L, 4)]
    [InlineData(5L, 2)]
    [InlineData(10_007L, 1)]
    [InlineData(10_007L, 2)]
    [InlineData(10_007L, 4)]
    public async Task Generate_Count_ProducesEveryIndexOnce(long count, int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.Generate(count, i => (Index: i, Square: i * i % 1009)).CollectAsync();
        Multiset.Equal(Enumerable.Range(0, (int)count).Select(i => (Index: (long)i, Square: (long)i * i % 1009)), actual);
        var sums = await env.Generate(count, i => i).GroupBy(i => i % 13).Sum(i => i).CollectAsync();
        Multiset.Equal(Enumerable.Range(0, (int)count).Select(i => (long)i).GroupBy(i => i % 13).Select(g => (g.Key, g.Sum())), sums, "sums");
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task Distinct_DoublesWithNegativeZero_TreatsZeroesAsEqualLikeLinq(int p)
    {
        // EqualityComparer<double>.Default (and LINQ) consider 0.0 and -0.0 equal.
        var input = new List<double>();
        var r = new Random(p);
        for (int i = 0; i < 3000; i++) input.Add(r.Next(3) switch { 0 => 0.0, 1 => -0.0, _ => r.Next(5) * 0.5 });
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Distinct().CollectAsync();
        Assert.Equal(input.Distinct().Count(), actual.Count);
        var counts = await env.FromCollection(input).GroupBy(d => d).Count().CollectAsync();
        Multiset.Equal(input.GroupBy(d => d).Select(g => (g.Key, (long)g.Count())), counts, "GroupBy(double).Count");
    }
}
