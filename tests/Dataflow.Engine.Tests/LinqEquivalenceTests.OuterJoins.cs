namespace Dataflow.Engine.Tests;

/// <summary>Right and full outer joins against LINQ to Objects (<c>Enumerable.RightJoin</c>, and a full join built from LINQ).</summary>
public class LinqOuterJoinEquivalenceTests
{
    private const string Members = Data.Members;

    /// <summary>LINQ's full outer join: the left join, plus every right record without a left match once with default.</summary>
    private static IEnumerable<TResult> FullJoin<TL, TR, TKey, TResult>(IEnumerable<TL> left, IEnumerable<TR> right,
        Func<TL, TKey> lk, Func<TR, TKey> rk, Func<TL?, TR?, TResult> result)
    {
        var leftKeys = left.Select(lk).Where(k => k is not null).ToHashSet();
        return left.LeftJoin(right, lk, rk, (l, r) => result(l, r))
            .Concat(right.Where(r => rk(r) is not { } k || !leftKeys.Contains(k)).Select(r => result(default, r)));
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task RightOuterJoin_RecordStructs_MatchesEnumerableRightJoin(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 300));
        var customers = Gen.Customers(Gen.Seed(shape, p, 301), keys: 300);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .RightOuterJoin(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Amount, o.Tag, c.Id, c.Name))
            .CollectAsync();
        var expected = orders.RightJoin(customers, o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Amount, o.Tag, c.Id, c.Name));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task RightOuterJoin_ClassRecordsOnOuterSide_MatchesEnumerableRightJoin(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 302));
        var known = new[] { "the", "data", "日本語", "abcdefghijk", "the" };
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(known)
            .RightOuterJoin(env.FromCollection(words), k => k.Length, w => w.Length, (k, w) => (k ?? "<none>", w))
            .CollectAsync();
        Multiset.Equal(known.RightJoin(words, k => k.Length, w => w.Length, (k, w) => (k ?? "<none>", w)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task RightOuterJoin_EmptyLeft_GivesEveryRightRecordOnceWithDefault(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 303));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(Array.Empty<(int Key, long Value)>())
            .RightOuterJoin(env.FromCollection(input), x => x.Key, y => y.Key, (x, y) => (x, y))
            .CollectAsync();
        Multiset.Equal(input.Select(y => (default((int, long)), y)), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FullOuterJoin_RecordStructs_MatchesLinqFullJoin(Shape shape, int p)
    {
        var orders = Gen.Orders(shape, Gen.Seed(shape, p, 304));
        var customers = Gen.Customers(Gen.Seed(shape, p, 305), keys: 300);
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(orders)
            .FullOuterJoin(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Customer, o.Tag, c.Id, c.Name))
            .CollectAsync();
        var expected = FullJoin(orders, customers, o => o.Customer, c => c.Id, (o, c) => (o.Id, o.Customer, o.Tag, c.Id, c.Name));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FullOuterJoin_NullStringKeysOnBothSides_NeverMatchAndAppearOnce(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 306)).Select((w, i) => (Word: i % 5 == 0 ? null : w, Index: i)).ToList();
        var dictionary = new (string? Word, int Id)[] { ("the", 1), (null, 2), ("data", 3), ("the", 4), ("never", 5), (null, 6) };
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(words)
            .FullOuterJoin(env.FromCollection(dictionary), w => w.Word, d => d.Word, (w, d) => (w.Index, w.Word, d.Id))
            .CollectAsync();
        var expected = FullJoin(words, dictionary, w => w.Word, d => d.Word, (w, d) => (w.Index, w.Word, d.Id));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task FullOuterJoin_EmptyRight_GivesEveryLeftRecordOnceWithDefault(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 307));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .FullOuterJoin(env.FromCollection(Array.Empty<(int Key, long Value)>()), x => x.Key, y => y.Key, (x, y) => (x, y))
            .CollectAsync();
        Multiset.Equal(input.Select(x => (x, default((int, long)))), actual);
        var swapped = await env.FromCollection(Array.Empty<(int Key, long Value)>())
            .FullOuterJoin(env.FromCollection(input), x => x.Key, y => y.Key, (x, y) => (x, y))
            .CollectAsync();
        Multiset.Equal(input.Select(y => (default((int, long)), y)), swapped);
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task FullOuterJoin_DataSetWithItselfFiltered_MatchesLinqFullJoin(int p)
    {
        var input = Gen.Pairs(Shape.Large, Gen.Seed(Shape.Large, p, 308)).Take(2000).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var ds = env.FromCollection(input);
        var actual = await ds.Where(x => x.Value > 0).FullOuterJoin(ds.Where(x => x.Value < 100), a => a.Key, b => b.Key + 1000, (a, b) => (a, b))
            .CollectAsync();
        var l = input.Where(x => x.Value > 0).ToList();
        var r = input.Where(x => x.Value < 100).ToList();
        Multiset.Equal(FullJoin(l, r, a => a.Key, b => b.Key + 1000, (a, b) => (a, b)), actual);
    }
}
