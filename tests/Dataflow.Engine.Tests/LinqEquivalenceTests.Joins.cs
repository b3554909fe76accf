namespace Dataflow.Engine.Tests;

/// <summary>Two-input operators and multi-operator plans against LINQ.</summary>
public class LinqJoinEquivalenceTests
{
    private const string Members = Data.Members;

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Join_DuplicateKeysOnBothSides_ProducesAllPairs(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 50));
        var customers = Gen.Customers(Gen.Seed(shape, p, 51));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .Join(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Amount, c.Name))
            .CollectAsync();
        var expected = orders.Join(customers, o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Amount, c.Name));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Join_StringKeys_MatchesLinq(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 52));
        var dictionary = Gen.Words(Shape.Small, Gen.Seed(shape, p, 53)).Select((w, i) => (Word: w, Index: i)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(words)
            .Join(env.FromCollection(dictionary), w => w, d => d.Word, (w, d) => (w, d.Index))
            .CollectAsync();
        Multiset.Equal(words.Join(dictionary, w => w, d => d.Word, (w, d) => (w, d.Index)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Join_ValueTupleKeys_MatchesLinq(Shape shape, int p)
    {
        var left = Gen.Pairs(shape, Gen.Seed(shape, p, 54));
        var right = Gen.Pairs(Shape.Small, Gen.Seed(shape, p, 55)).Select(x => (x.Key % 10, x.Value % 3)).Distinct().ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(left)
            .Join(env.FromCollection(right), l => (l.Key % 10, l.Value % 3), r => r, (l, r) => (l.Key, l.Value, r.Item1))
            .CollectAsync();
        Multiset.Equal(left.Join(right, l => (l.Key % 10, l.Value % 3), r => r, (l, r) => (l.Key, l.Value, r.Item1)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Join_EmptyBuildSide_ReturnsEmpty(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 56));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .Join(env.FromCollection(new List<Customer>()), o => o.Customer, c => c.Id, (o, c) => o.Id)
            .CollectAsync();
        Assert.Empty(actual);
        var swapped = await env.FromCollection(new List<Customer>())
            .Join(env.FromCollection(orders), c => c.Id, o => o.Customer, (c, o) => o.Id)
            .CollectAsync();
        Assert.Empty(swapped);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Join_DataSetWithItself_MatchesLinqSelfJoin(Shape shape, int p)
    {
        // Capped so that the hot key of the skewed shape stays a few hundred thousand pairs.
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 57)).Take(600).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var ds = env.FromCollection(input).Select(x => (x.Key, x.Value));
        var actual = await ds.Join(ds, a => a.Key, b => b.Key, (a, b) => (a.Value, b.Value)).CollectAsync();
        Multiset.Equal(input.Join(input, a => a.Key, b => b.Key, (a, b) => (a.Value, b.Value)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task LeftOuterJoin_RecordStructs_MatchesEnumerableLeftJoin(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 58));
        var customers = Gen.Customers(Gen.Seed(shape, p, 59), keys: 300); // many orders stay unmatched
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .LeftOuterJoin(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Customer, c.Name, c.Region))
            .CollectAsync();
        var expected = orders.LeftJoin(customers, o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Customer, c.Name, c.Region));
        Multiset.Equal(expected, actual);
        var ids = customers.Select(c => c.Id).ToHashSet();
        Assert.Equal(orders.Count(o => !ids.Contains(o.Customer)), actual.Count(x => x.Name is null));
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task LeftOuterJoin_ClassRecordsOnInner_MatchesEnumerableLeftJoin(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 60));
        var known = new[] { "the", "data", "日本語", "abc", "the" }; // "the" twice: two results per match
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(words)
            .LeftOuterJoin(env.FromCollection(known), w => w.Length, k => k.Length, (w, k) => (w, k ?? "<none>"))
            .CollectAsync();
        var expected = words.LeftJoin(known, w => w.Length, k => k.Length, (w, k) => (w, k ?? "<none>"));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task LeftOuterJoin_EmptyInner_GivesEveryOuterRecordOnceWithDefault(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 61));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .LeftOuterJoin(env.FromCollection(Array.Empty<(int Key, long Value)>()), x => x.Key, y => y.Key, (x, y) => (x, y))
            .CollectAsync();
        Multiset.Equal(input.Select(x => (x, default((int, long)))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task CoGroup_KeysOnEitherSide_MatchesFullOuterGroupJoin(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 62));
        var customers = Gen.Customers(Gen.Seed(shape, p, 63), keys: 60);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .CoGroup(env.FromCollection(customers), o => o.Customer, c => c.Id,
                (k, os, cs) => new[] { (k, os.Count, cs.Count, os.Sum(o => o.Amount), cs.Sum(c => c.Region)) })
            .CollectAsync();
        var ol = orders.ToLookup(o => o.Customer);
        var cl = customers.ToLookup(c => c.Id);
        var expected = ol.Select(g => g.Key).Union(cl.Select(g => g.Key))
            .Select(k => (k, ol[k].Count(), cl[k].Count(), ol[k].Sum(o => o.Amount), cl[k].Sum(c => c.Region)));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task CoGroup_ZeroOrManyResultsPerKey_MatchesLinqGroupJoin(Shape shape, int p)
    {
        // A left-anti/left-semi mix: orders of unknown customers are emitted, others are dropped.
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 64));
        var customers = Gen.Customers(Gen.Seed(shape, p, 65), keys: 200);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .CoGroup(env.FromCollection(customers), o => o.Customer, c => c.Id,
                (k, os, cs) => cs.Count == 0 ? os.Select(o => o.Id) : Enumerable.Empty<int>())
            .CollectAsync();
        var expected = orders.GroupJoin(customers, o => o.Customer, c => c.Id, (o, cs) => (o, cs))
            .Where(x => !x.cs.Any()).Select(x => x.o.Id);
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Cross_SmallSide_ProducesEveryPair(Shape shape, int p)
    {
        var big = Gen.Pairs(shape, Gen.Seed(shape, p, 66)).Take(3000).ToList();
        var small = Gen.Words(Shape.Small, Gen.Seed(shape, p, 67)).Take(11).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(big).Cross(env.FromCollection(small), (b, s) => (b.Key, s)).CollectAsync();
        Multiset.Equal(big.SelectMany(b => small.Select(s => (b.Key, s))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task Cross_EmptySmallSide_ReturnsEmpty(Shape shape, int p)
    {
        var big = Gen.Pairs(shape, Gen.Seed(shape, p, 68));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(big).Cross(env.FromCollection(Array.Empty<int>()), (b, s) => b.Key + s).CollectAsync();
        Assert.Empty(actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task WithBroadcastSelect_EverySubtaskSeesWholeSet_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 69));
        var small = Gen.Pairs(Shape.Small, Gen.Seed(shape, p, 70));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .WithBroadcast(env.FromCollection(small))
            .Select((x, set) => (x.Key, set.Count, set.Count(s => s.Key == x.Key)))
            .CollectAsync();
        Multiset.Equal(input.Select(x => (x.Key, small.Count, small.Count(s => s.Key == x.Key))), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task WithBroadcastWhere_SequentialBroadcastSource_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Words(shape, Gen.Seed(shape, p, 71));
        var stop = new[] { "the", "a", "日本語", "zzz" };
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .WithBroadcast(env.FromEnumerable(stop.Select(s => s)))
            .Where((w, set) => !set.Contains(w))
            .CollectAsync();
        Multiset.Equal(input.Where(w => !stop.Contains(w)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task WithBroadcastSelectMany_EmptyAndNonEmptySets_MatchesLinq(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 72));
        var customers = Gen.Customers(Gen.Seed(shape, p, 73), keys: 50);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .WithBroadcast(env.FromCollection(customers))
            .SelectMany((o, set) => set.Where(c => c.Id == o.Customer).Select(c => (o.Id, c.Name)))
            .CollectAsync();
        Multiset.Equal(input.SelectMany(o => customers.Where(c => c.Id == o.Customer).Select(c => (o.Id, c.Name))), actual);
        var none = await env.FromCollection(input)
            .WithBroadcast(env.FromCollection(new List<Customer>()))
            .Select((o, set) => set.Count)
            .CollectAsync();
        Multiset.Equal(input.Select(_ => 0), none, "empty broadcast set");
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task JoinThenAggregate_RevenuePerRegion_MatchesLinq(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 74));
        var customers = Gen.Customers(Gen.Seed(shape, p, 75));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .Where(o => o.Amount > -500)
            .Join(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (c.Region, o.Amount))
            .GroupBy(x => x.Region)
            .Sum(x => x.Amount)
            .CollectAsync();
        var expected = orders.Where(o => o.Amount > -500)
            .Join(customers, o => o.Customer, c => c.Id, (o, c) => (c.Region, o.Amount))
            .GroupBy(x => x.Region).Select(g => (g.Key, g.Sum(x => x.Amount)));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task TwoAggregatesOfOneDataSet_JoinedOnKey_MatchesLinq(Shape shape, int p)
    {
        // One data set consumed by two aggregations whose results are joined again (a diamond).
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 76));
        var env = DataflowEnvironment.CreateLocal(p);
        var ds = env.FromCollection(input).Select(x => (x.Key, x.Value));
        var counts = ds.GroupBy(x => x.Key).Count();
        var sums = ds.GroupBy(x => x.Key).Sum(x => x.Value);
        var actual = await counts.Join(sums, c => c.Key, s => s.Key, (c, s) => (c.Key, c.Count, s.Sum)).CollectAsync();
        var expected = input.GroupBy(x => x.Key).Select(g => (g.Key, (long)g.Count(), g.Sum(x => x.Value)));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task LongChain_MapFilterDistinctCountJoinUnion_MatchesLinq(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 77));
        var env = DataflowEnvironment.CreateLocal(p);
        var ds = env.FromCollection(words);
        var lengths = ds.Where(w => w.Length > 0).Select(w => w.ToLowerInvariant()).Distinct().GroupBy(w => w.Length).Count();
        var firstLetters = ds.Where(w => w.Length > 0).Select(w => (Length: w.Length, First: w[0]));
        var actual = await lengths
            .Join(firstLetters, l => l.Key, f => f.Length, (l, f) => (l.Key, l.Count, f.First))
            .Union(ds.Where(w => w.Length == 0).Select(_ => (0, 0L, '-')))
            .CollectAsync();
        var expectedLengths = words.Where(w => w.Length > 0).Select(w => w.ToLowerInvariant()).Distinct()
            .GroupBy(w => w.Length).Select(g => (Key: g.Key, Count: (long)g.Count()));
        var expected = expectedLengths
            .Join(words.Where(w => w.Length > 0).Select(w => (Length: w.Length, First: w[0])), l => l.Key, f => f.Length, (l, f) => (l.Key, l.Count, f.First))
            .Concat(words.Where(w => w.Length == 0).Select(_ => (0, 0L, '-')));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FromEnumerable_AsJoinSideAndGroupInput_MatchesLinq(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 78));
        var customers = Gen.Customers(Gen.Seed(shape, p, 79));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromEnumerable(orders.Select(o => o))
            .Join(env.FromEnumerable(customers.Select(c => c)), o => o.Customer, c => c.Id, (o, c) => (c.Name, o.Amount))
            .GroupBy(x => x.Name)
            .Max(x => x.Amount)
            .CollectAsync();
        var expected = orders.Join(customers, o => o.Customer, c => c.Id, (o, c) => (c.Name, o.Amount))
            .GroupBy(x => x.Name).Select(g => (g.Key, g.Max(x => x.Amount)));
        Multiset.Equal(expected, actual);
    }
}
