using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>Plans under unusual engine settings (tiny batches, tiny queues, few key groups), diamonds and null keys.</summary>
public class LinqSettingsAndNullKeyEquivalenceTests
{
    private static DataflowEnvironment CreateEnv(int p, int batchSize, int queueBatches, int maxParallelism) =>
        new ServiceCollection()
            .AddDataflow(o =>
            {
                o.Parallelism = p;
                o.BatchSize = batchSize;
                o.QueueBatchesPerProducer = queueBatches;
                o.MaxParallelism = maxParallelism;
            })
            .Services.BuildServiceProvider()
            .GetRequiredService<DataflowEnvironment>();

    public static TheoryData<int, int, int, int> EngineSettings => new()
    {
        // parallelism, batch size, queue batches per producer, key groups
        { 1, 1, 1, 128 },
        { 3, 1, 1, 128 },
        { 3, 7, 1, 5 },
        { 4, 3, 2, 4 },
        { 2, 4096, 8, 128 },
        { 5, 100, 1, 32768 },
    };

    [Theory]
    [MemberData(nameof(EngineSettings))]
    public async Task JoinAggregateDistinctPlan_UnusualEngineSettings_MatchesLinq(int p, int batchSize, int queueBatches, int maxParallelism)
    {
        var env = CreateEnv(p, batchSize, queueBatches, maxParallelism);
        var orders = Gen.Orders(Shape.Skewed, 80).Take(3000).ToList();
        var customers = Gen.Customers(81, keys: 1000);
        var actual = await env.FromCollection(orders)
            .Join(env.FromCollection(customers), o => o.Customer, c => c.Id, (o, c) => (c.Region, o.Amount))
            .GroupBy(x => x.Region).Sum(x => x.Amount)
            .CollectAsync();
        var expected = orders.Join(customers, o => o.Customer, c => c.Id, (o, c) => (c.Region, o.Amount))
            .GroupBy(x => x.Region).Select(g => (g.Key, g.Sum(x => x.Amount)));
        Multiset.Equal(expected, actual, "join + sum");

        var words = Gen.Words(Shape.Large, 82).Take(4000).ToList();
        var distinct = await env.FromEnumerable(words).Union(env.FromCollection(words)).Distinct().Rebalance().CollectAsync();
        Multiset.Equal(words.Distinct(), distinct, "distinct of union");

        var groups = await env.FromCollection(words).GroupBy(w => w.Length).ReduceGroup((k, g) => new[] { (k, g.Count) }).CollectAsync();
        Multiset.Equal(words.GroupBy(w => w.Length).Select(g => (g.Key, g.Count())), groups, "reduce group");
    }

    [Theory]
    [MemberData(nameof(EngineSettings))]
    public async Task BroadcastOfAggregateOfSameInput_UnusualEngineSettings_MatchesLinq(int p, int batchSize, int queueBatches, int maxParallelism)
    {
        // A diamond: the broadcast set is computed from the very input it is broadcast to.
        var env = CreateEnv(p, batchSize, queueBatches, maxParallelism);
        var input = Gen.Pairs(Shape.Large, 83).Take(5000).ToList();
        var ds = env.FromCollection(input);
        var max = ds.GroupBy(_ => 0).Max(x => x.Value);
        var actual = await ds.WithBroadcast(max).Select((x, set) => set[0].Max - x.Value).CollectAsync();
        long m = input.Max(x => x.Value);
        Multiset.Equal(input.Select(x => m - x.Value), actual, "normalized by broadcast max");

        var crossed = await ds.Where(x => x.Key < 30).Cross(ds.Select(x => x.Key % 3).Distinct(), (x, k) => (x.Key, k)).CollectAsync();
        Multiset.Equal(input.Where(x => x.Key < 30).SelectMany(x => input.Select(y => y.Key % 3).Distinct().Select(k => (x.Key, k))), crossed, "cross with own distinct");
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task GroupByAndDistinct_NullStringKeys_TreatNullAsOneKeyLikeLinq(int p)
    {
        var r = new Random(84 + p);
        var input = Enumerable.Range(0, 5000).Select(i => r.Next(5) == 0 ? null : "k" + r.Next(30)).ToList();
        var env = DataflowEnvironment.CreateLocal(p);
        var counts = await env.FromCollection(input).GroupBy(s => s).Count().CollectAsync();
        Multiset.Equal(input.GroupBy(s => s).Select(g => (g.Key, (long)g.Count())), counts, "counts");
        var distinct = await env.FromCollection(input).Distinct().CollectAsync();
        Multiset.Equal(input.Distinct(), distinct, "distinct");
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task LeftOuterJoin_NullKeys_NeverMatchLikeEnumerableLeftJoin(int p)
    {
        // Enumerable.LeftJoin (and Join) never match a null key, not even with another null key.
        string?[] left = ["a", null, "b", null];
        string?[] right = ["a", null, null, "c"];
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(left)
            .LeftOuterJoin(env.FromCollection(right), l => l, r => r, (l, r) => (l ?? "<null>", r ?? "<none>"))
            .CollectAsync();
        var expected = left.LeftJoin(right, l => l, r => r, (l, r) => (l ?? "<null>", r ?? "<none>"));
        Multiset.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Data.Parallelism), MemberType = typeof(Data))]
    public async Task Join_NullKeys_NeverMatchLikeEnumerableJoin(int p)
    {
        string?[] left = ["a", null, "b", null];
        string?[] right = ["a", null, null, "c"];
        var env = DataflowEnvironment.CreateLocal(p);
        var actual = await env.FromCollection(left).Join(env.FromCollection(right), l => l, r => r, (l, r) => (l, r)).CollectAsync();
        Multiset.Equal(left.Join(right, l => l, r => r, (l, r) => (l, r)), actual);
    }
}
