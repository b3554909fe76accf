using System.Globalization;

namespace Dataflow.Engine.Tests;

/// <summary>OrderBy/ThenBy, SortPartition, Top and Take against LINQ to Objects, over every shape and parallelism.</summary>
public class LinqOrderingEquivalenceTests
{
    private const string Members = Data.Members;

    /// <summary>Pairs with their input index: (Key, Value, Index) is unique, so a sort by all three is total.</summary>
    private static List<(int Key, long Value, int Index)> Indexed(Shape shape, int seed) =>
        Gen.Pairs(shape, seed).Select((x, i) => (x.Key, x.Value, i)).ToList();

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task OrderBy_Pairs_KeySequenceMatchesLinqAndRecordsAreTheSame(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 200));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).OrderBy(x => x.Key).CollectAsync();
        // Ties keep no specified order: the key sequence and the multiset of records must match.
        Assert.Equal(input.OrderBy(x => x.Key).Select(x => x.Key), actual.Select(x => x.Key));
        Multiset.Equal(input, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task OrderByThenBy_TotalOrder_EqualsLinqExactly(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 201));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).OrderBy(x => x.Key).ThenBy(x => x.Value).CollectAsync();
        Assert.Equal(input.OrderBy(x => x.Key).ThenBy(x => x.Value), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task OrderByDescendingThenByDescending_TotalOrder_EqualsLinqExactly(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 202));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).OrderByDescending(x => x.Key).ThenByDescending(x => x.Value).CollectAsync();
        Assert.Equal(input.OrderByDescending(x => x.Key).ThenByDescending(x => x.Value), actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task OrderByMixedDirections_ThreeKeys_EqualsLinqExactly(Shape shape, int p)
    {
        var input = Gen.Orders(shape, Gen.Seed(shape, p, 203));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input)
            .OrderBy(o => o.Tag).ThenByDescending(o => o.Customer).ThenBy(o => o.Amount).ThenBy(o => o.Id)
            .CollectAsync();
        var expected = input.OrderBy(o => o.Tag, StringComparer.Ordinal).ThenByDescending(o => o.Customer).ThenBy(o => o.Amount).ThenBy(o => o.Id);
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task OrderBy_StringsUnderGermanCulture_OrdinalOrderLikeLinqWithOrdinalComparer(Shape shape, int p)
    {
        var words = Gen.Words(shape, Gen.Seed(shape, p, 204));
        var saved = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var env = DataflowEnvironment.CreateLocal(p);
            var actual = await env.FromCollection(words).OrderBy(w => w).CollectAsync();
            Assert.Equal(words.Order(StringComparer.Ordinal), actual);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task OrderBy_ExplicitComparer_UsesIt(int p)
    {
        var words = Gen.Words(Shape.Large, Gen.Seed(Shape.Large, p, 205));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(words).OrderBy(w => w, StringComparer.OrdinalIgnoreCase).ThenBy(w => w).CollectAsync();
        Assert.Equal(words.OrderBy(w => w, StringComparer.OrdinalIgnoreCase).ThenBy(w => w, StringComparer.Ordinal), actual);
    }

    [Fact]
    public async Task OrderBy_DifferentParallelisms_SameSequence()
    {
        var input = Gen.Pairs(Shape.Skewed, 206);
        List<(int Key, long Value)>? first = null;
        foreach (int p in new[] { 1, 2, 3, 4, 7 })
        {
            var env = DataflowEnvironment.CreateLocal(p);
            var actual = await env.FromCollection(input).Rebalance().OrderByDescending(x => x.Value).ThenBy(x => x.Key).CollectAsync();
            if (first is null) first = actual;
            else Assert.Equal(first, actual);
        }
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task OrderBy_WrittenAsText_LinesInGlobalOrder(int p)
    {
        using var dir = new TempDir();
        var input = Gen.Pairs(Shape.Large, Gen.Seed(Shape.Large, p, 207));
        var path = dir.File("sorted.txt");
        var env = DataflowEnvironment.CreateLocal(p);
        await env.FromCollection(input).OrderBy(x => x.Key).ThenBy(x => x.Value).WriteTextAsync(path, x => $"{x.Key} {x.Value}");
        var expected = input.OrderBy(x => x.Key).ThenBy(x => x.Value).Select(x => $"{x.Key} {x.Value}");
        Assert.Equal(expected, File.ReadAllLines(path));
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task OrderBy_SelectAfterwards_KeepsTheOrder(int p)
    {
        var input = Gen.Pairs(Shape.Large, Gen.Seed(Shape.Large, p, 208));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).OrderBy(x => x.Value).ThenBy(x => x.Key).Select(x => x.Value * 2).CollectAsync();
        Assert.Equal(input.OrderBy(x => x.Value).ThenBy(x => x.Key).Select(x => x.Value * 2), actual);
    }

    [Fact]
    public void ThenBy_WithoutOrderBy_Throws()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var ds = env.FromCollection(new[] { 1, 2, 3 });
        Assert.Throws<InvalidOperationException>(() => ds.ThenBy(x => x));
        Assert.Throws<InvalidOperationException>(() => ds.OrderBy(x => x).Select(x => x).ThenBy(x => x));
        Assert.True(ds.OrderBy(x => x).IsOrdered);
        Assert.False(ds.OrderBy(x => x).Where(x => x > 1).IsOrdered);
    }

    [Fact]
    public async Task OrderBy_KeySelectorThrows_FailsTheJobNamingTheOperator()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var ds = env.FromCollection(Enumerable.Range(0, 1000).ToArray()).OrderBy(x => x == 500 ? throw new FormatException("bad") : x);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ds.CollectAsync());
        Assert.Contains("bad", e.ToString());
    }

    [Theory]
    [MemberData(Members, MemberType = typeof(Data))]
    public async Task SortPartition_Pairs_EachPartitionSortedAndRecordsKept(Shape shape, int p)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 209));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Rebalance().SortPartition(x => x.Key).CollectAsync();
        Multiset.Equal(input, actual);
        // Collected partitions are concatenated: at most p ascending runs.
        int runs = actual.Count == 0 ? 0 : 1 + Enumerable.Range(1, Math.Max(0, actual.Count - 1)).Count(i => actual[i].Key < actual[i - 1].Key);
        Assert.True(runs <= p, $"{runs} ascending runs for parallelism {p}");
        if (p == 1) Assert.Equal(input.OrderBy(x => x.Key).Select(x => x.Key), actual.Select(x => x.Key));
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task SortPartition_AfterPartitionByHash_KeepsPartitioningAndSortsDescending(int p)
    {
        var input = Gen.Pairs(Shape.Large, Gen.Seed(Shape.Large, p, 210));
        var env = DataflowEnvironment.CreateLocal(p);
        Func<(int Key, long Value), int> key = x => x.Key;
        var sorted = env.FromCollection(input).PartitionByHash(key).SortPartition(x => x.Value, descending: true);
        Assert.True(sorted.IsPartitionedOn(key));
        var actual = await sorted.CollectAsync();
        Multiset.Equal(input, actual);
        int runs = actual.Count == 0 ? 0 : 1 + Enumerable.Range(1, actual.Count - 1).Count(i => actual[i].Value > actual[i - 1].Value);
        Assert.True(runs <= p);
    }

    public static TheoryData<Shape, int, int> TopCases
    {
        get
        {
            var data = new TheoryData<Shape, int, int>();
            foreach (var shape in Enum.GetValues<Shape>())
            {
                foreach (int p in Data.Parallelisms)
                {
                    foreach (int n in new[] { 0, 1, 10, 3000, 20_000 }) data.Add(shape, p, n);
                }
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TopCases))]
    public async Task Top_TotalKey_EqualsLinqOrderByDescendingTake(Shape shape, int p, int n)
    {
        var input = Indexed(shape, Gen.Seed(shape, p, 211 + n));
        var env = DataflowEnvironment.CreateLocal(p);
        var top = env.FromCollection(input).Top(n, x => (x.Value, x.Index));
        Assert.Equal(1, top.Parallelism);
        var actual = await top.CollectAsync();
        Assert.Equal(input.OrderByDescending(x => (x.Value, x.Index)).Take(n), actual);
    }

    [Theory]
    [MemberData(nameof(TopCases))]
    public async Task Top_KeyWithTies_KeysEqualLinqAndRecordsComeFromInput(Shape shape, int p, int n)
    {
        var input = Gen.Pairs(shape, Gen.Seed(shape, p, 212 + n));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Top(n, x => x.Key).CollectAsync();
        Assert.Equal(input.OrderByDescending(x => x.Key).Take(n).Select(x => x.Key), actual.Select(x => x.Key));
        // Which of the tied records at the cut are kept is not specified, but they all exist in the input.
        var inputKeys = input.ToLookup(x => x.Key);
        foreach (var g in actual.GroupBy(x => x.Key)) Assert.True(g.Count() <= inputKeys[g.Key].Count());
        Assert.All(actual, x => Assert.Contains(x, inputKeys[x.Key]));
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task Top_ReversedComparer_GivesSmallestFirst(int p)
    {
        var input = Indexed(Shape.Large, Gen.Seed(Shape.Large, p, 213));
        var env = DataflowEnvironment.CreateLocal(p);
        var smallest = Comparer<(long, int)>.Create((a, b) => b.CompareTo(a));
        var actual = await env.FromCollection(input).Top(25, x => (x.Value, x.Index), smallest).CollectAsync();
        Assert.Equal(input.OrderBy(x => (x.Value, x.Index)).Take(25), actual);
    }

    [Theory]
    [MemberData(nameof(TopCases))]
    public async Task Take_AfterTotalOrderBy_EqualsLinqTake(Shape shape, int p, int n)
    {
        var input = Indexed(shape, Gen.Seed(shape, p, 214 + n));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).OrderBy(x => x.Key).ThenByDescending(x => x.Index).Take(n).CollectAsync();
        Assert.Equal(input.OrderBy(x => x.Key).ThenByDescending(x => x.Index).Take(n), actual);
    }

    [Theory]
    [MemberData(nameof(TopCases))]
    public async Task Take_Unordered_TakesMinOfNAndCountRecordsOfTheInput(Shape shape, int p, int n)
    {
        var input = Indexed(shape, Gen.Seed(shape, p, 215 + n));
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(input).Take(n).CollectAsync();
        Assert.Equal(Math.Min(n, input.Count), actual.Count);
        Assert.Equal(actual.Count, actual.Distinct().Count());
        Assert.Subset(input.ToHashSet(), actual.ToHashSet());
    }
}
