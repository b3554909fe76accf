namespace Dataflow.Engine.Tests;

/// <summary>GroupBy with every aggregation against LINQ's GroupBy.</summary>
public class LinqGroupingEquivalenceTests
{
    private const string Members = Data.Members;

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByReduce_SumOfValues_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 30));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(x => x.Key).Reduce((a, b) => (a.Key, a.Value + b.Value)).CollectAsync();
        Multiset.Equal(input.GroupBy(x => x.Key).Select(g => (g.Key, g.Sum(x => x.Value))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByReduce_OrdinalMinOfStrings_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 31));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .GroupBy(w => w.Length)
            .Reduce((a, b) => string.CompareOrdinal(a, b) <= 0 ? a : b)
            .CollectAsync();
        Multiset.Equal(input.GroupBy(w => w.Length).Select(g => g.Order(StringComparer.Ordinal).First()), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByAggregate_CountSumMinMax_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 32));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .GroupBy(o => o.Customer)
            .Aggregate<(long Count, long Sum, long Min, long Max), (int Key, long Count, long Sum, long Min, long Max)>(
                o => (1, o.Amount, o.Amount, o.Amount),
                (a, o) => (a.Count + 1, a.Sum + o.Amount, Math.Min(a.Min, o.Amount), Math.Max(a.Max, o.Amount)),
                (a, b) => (a.Count + b.Count, a.Sum + b.Sum, Math.Min(a.Min, b.Min), Math.Max(a.Max, b.Max)),
                (k, a) => (k, a.Count, a.Sum, a.Min, a.Max))
            .CollectAsync();
        var expected = input.GroupBy(o => o.Customer)
            .Select(g => (g.Key, (long)g.Count(), g.Sum(o => o.Amount), g.Min(o => o.Amount), g.Max(o => o.Amount)));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByAggregate_ValueTupleKey_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 33));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .GroupBy(o => (o.Customer % 7, o.Tag))
            .Aggregate<long, (int, string, long)>(o => o.Amount, (a, o) => a + o.Amount, (a, b) => a + b, (k, a) => (k.Item1, k.Tag, a))
            .CollectAsync();
        var expected = input.GroupBy(o => (o.Customer % 7, o.Tag)).Select(g => (g.Key.Item1, g.Key.Tag, g.Sum(o => o.Amount)));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByReduceGroup_SeveralOutputsPerGroup_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 34));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .GroupBy(x => x.Key)
            .ReduceGroup((k, g) => g.Select(x => x.Value).Distinct().Select(v => (k, v, g.Count)))
            .CollectAsync();
        var expected = input.GroupBy(x => x.Key).SelectMany(g => g.Select(x => x.Value).Distinct().Select(v => (g.Key, v, g.Count())));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByReduceGroup_RecordStructsByStringKey_SeesWholeGroups(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 35));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .GroupBy(o => o.Tag)
            .ReduceGroup((k, g) => new[] { (k, g.Count, g.Sum(o => o.Amount), g.Select(o => o.Customer).Distinct().Count()) })
            .CollectAsync();
        var expected = input.GroupBy(o => o.Tag).Select(g => (g.Key, g.Count(), g.Sum(o => o.Amount), g.Select(o => o.Customer).Distinct().Count()));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByCount_Strings_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 36));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(w => w).Count().CollectAsync();
        Multiset.Equal(input.GroupBy(w => w, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupBySum_LongValues_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 37));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(x => x.Key).Sum(x => x.Value).CollectAsync();
        Multiset.Equal(input.GroupBy(x => x.Key).Select(g => (g.Key, g.Sum(x => x.Value))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupBySum_IntValuesOfRecordStructs_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 38));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(o => o.Tag).Sum(o => (int)o.Amount).CollectAsync();
        Multiset.Equal(input.GroupBy(o => o.Tag).Select(g => (g.Key, g.Sum(o => (int)o.Amount))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByMin_RecordStructs_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 39));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(o => o.Customer).Min(o => o.Amount).CollectAsync();
        Multiset.Equal(input.GroupBy(o => o.Customer).Select(g => (g.Key, g.Min(o => o.Amount))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByMax_DoubleValues_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 40));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(x => x.Key % 50).Max(x => x.Value / 4.0).CollectAsync();
        Multiset.Equal(input.GroupBy(x => x.Key % 50).Select(g => (g.Key, g.Max(x => x.Value / 4.0))), actual);
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task GroupByCount_MoreKeysThanTheCombinerHolds_MergesSpilledPartials(int p)
    {
        // 100 000 distinct keys, each seen 1..3 times, in random order: the combiner spills its table
        // at 65 536 keys, so the same key leaves a subtask in several partial counts.
        var r = new Random(41 + p);
        var input = new long[150_000];
        for (int i = 0; i < input.Length; i++) input[i] = i < 100_000 ? i : r.Next(100_000);
        r.Shuffle(input);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).GroupBy(x => x).Count().CollectAsync();
        Assert.Equal(100_000, actual.Count);
        Multiset.Equal(input.GroupBy(x => x).Select(g => (g.Key, (long)g.Count())), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task GroupByReduce_ThenCountOnSameKeySelector_MatchesLinq(Shape shape, int p)
    {
        // Reduce keeps its key's partitioning; a later aggregation on the same selector reuses it.
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 42));
        var env = DataflowEnvironment.CreateLocal(p);
        Func<(int Key, long Value), int> key = x => x.Key;
        var reduced = env.FromCollection(input).GroupBy(key).Reduce((a, b) => (a.Key, Math.Max(a.Value, b.Value)));
        var actual = await reduced.Where(x => x.Value >= 0).GroupBy(key).Count().CollectAsync();
        var expected = input.GroupBy(x => x.Key).Select(g => (g.Key, g.Max(x => x.Value))).Where(x => x.Item2 >= 0).Select(x => (x.Key, 1L));
        Multiset.Equal(expected, actual);
    }
}
