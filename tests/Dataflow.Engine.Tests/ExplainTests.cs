using System.Text.RegularExpressions;

namespace Dataflow.Engine.Tests;

/// <summary>The physical plan printed by <c>Explain()</c>: chaining, exchanges, combiners and partitioning reuse (docs/architecture.md §3).</summary>
public class ExplainTests
{
    private static int Occurrences(string text, string fragment) => Regex.Matches(text, Regex.Escape(fragment)).Count;

    private static (DataSet<Order> Orders, DataSet<Customer> Customers) Inputs(DataflowEnvironment env) =>
        (env.FromCollection(Gen.Orders(Shape.Small, 1)), env.FromCollection(Gen.Customers(2, keys: 40)));

    [Fact]
    public void Explain_JoinThenAggregate_ShowsChainsHashExchangesAndCombiner()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, customers) = Inputs(env);
        var plan = orders
            .Where(o => o.Amount > 0)
            .Join(customers, o => o.Customer, c => c.Id, (o, c) => (c.Region, o.Amount))
            .GroupBy(x => x.Region)
            .Sum(x => x.Amount)
            .Explain();
        Assert.Contains("->", plan);
        Assert.Contains("Combine(Sum)", plan);
        // The combiner runs in the join's task, before the exchange; the filter runs in the source's task.
        Assert.Matches(@"Join\+Combine\(Sum\)", plan);
        Assert.Contains("Join fused with Combine(Sum)", plan);
        Assert.Matches(@"FromCollection\(\d+\) -> Where", plan);
        // Two join inputs and one aggregation: three hash exchanges.
        Assert.True(Occurrences(plan, "hash(") == 3, plan);
        Assert.Contains("hash(o => o.Customer)", plan);
        Assert.Contains("hash(c => c.Id)", plan);
        Assert.Contains("hash(x => x.Region)", plan);
        Assert.Contains("(parallelism 4)", plan);
    }

    [Fact]
    public void Explain_PartitionByHashThenGroupByWithSameDelegate_AddsNoSecondExchangeOrCombiner()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, _) = Inputs(env);
        Func<Order, int> key = o => o.Customer;
        var plan = orders.PartitionByHash(key).GroupBy(key).Sum(o => o.Amount).Explain();
        Assert.True(Occurrences(plan, "hash(") == 1, plan);
        Assert.DoesNotContain("Combine(", plan);
        Assert.Matches(@"PartitionByHash\(key\) -> Sum", plan);
    }

    [Fact]
    public void Explain_PartitionByHashThenGroupByWithSameMemberInAnotherLambda_AddsNoSecondExchange()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, _) = Inputs(env);
        // Same member read by two lambda instances: the planner reads both selectors and sees one key.
        var plan = orders.PartitionByHash(o => o.Customer).GroupBy(o => o.Customer).Sum(o => o.Amount).Explain();
        Assert.True(Occurrences(plan, "hash(") == 1, plan);
        Assert.DoesNotContain("Combine(", plan);
    }

    [Fact]
    public void Explain_PartitionByHashThenGroupByWithComputedKey_AddsSecondExchange()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, _) = Inputs(env);
        // A computed key is not a member read: the planner cannot tell it is the same key, so it repartitions.
        var plan = orders.PartitionByHash(o => o.Customer).GroupBy(o => o.Customer ^ 1).Sum(o => o.Amount).Explain();
        Assert.True(Occurrences(plan, "hash(") == 2, plan);
        Assert.Contains("Combine(Sum)", plan);
    }

    [Fact]
    public void Explain_JoinOnAggregateKey_ReusesTheAggregatesPartitioning()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, customers) = Inputs(env);
        var sums = orders.GroupBy(o => o.Customer).Sum(o => o.Amount);
        var plan = customers.Join(sums, c => c.Id, s => s.Key, (c, s) => (c.Region, s.Sum)).Explain();
        // Exchanges: orders into the sum, customers into the join; the sums are already partitioned on their key.
        Assert.True(Occurrences(plan, "hash(") == 2, plan);
        Assert.DoesNotContain("hash(s => s.Key)", plan);
    }

    [Fact]
    public void Explain_WhereBetweenPartitionAndGroupBy_KeepsThePartitioning()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, _) = Inputs(env);
        Func<Order, int> key = o => o.Customer;
        var plan = orders.PartitionByHash(key).Where(o => o.Amount != 0).GroupBy(key).Count().Explain();
        Assert.True(Occurrences(plan, "hash(") == 1, plan);
        var selectPlan = orders.PartitionByHash(key).Select(o => o).GroupBy(key).Count().Explain();
        Assert.True(Occurrences(selectPlan, "hash(") == 2, "a Select may change keys, so partitioning is not kept:\n" + selectPlan);
    }

    [Fact]
    public void Explain_JoinOnAlreadyPartitionedSide_HashesOnlyTheOtherSide()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, customers) = Inputs(env);
        Func<Order, int> key = o => o.Customer;
        var plan = orders.PartitionByHash(key).Join(customers, key, c => c.Id, (o, c) => o.Id).Explain();
        Assert.True(Occurrences(plan, "hash(") == 2, plan); // PartitionByHash and the customers side
        Assert.Contains("hash(c => c.Id)", plan);
    }

    [Fact]
    public void Explain_DataSetConsumedTwice_IsNotChainedIntoEitherConsumer()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var ds = env.FromCollection(Gen.Pairs(Shape.Small, 3)).Select(x => (x.Key, x.Value));
        var plan = ds.Join(ds, a => a.Key, b => b.Key, (a, b) => a.Value + b.Value).Explain();
        Assert.Contains("FromCollection(57) -> Select", plan);
        Assert.True(Occurrences(plan, "hash(") == 2, plan);
        Assert.Contains("Physical plan: 2 tasks", plan);
    }

    [Fact]
    public void Explain_SequentialSource_ShowsParallelismOneAndRebalance()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var plan = env.FromEnumerable(Enumerable.Range(0, 10)).Select(x => x + 1).Explain();
        Assert.Contains("FromEnumerable  (parallelism 1)", plan);
        Assert.Contains("rebalance", plan);
        Assert.Contains("(parallelism 4)", plan);
    }

    [Fact]
    public void Explain_MapFilterChain_IsOneTaskWithoutExchanges()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var plan = env.Generate(100, i => i).Select(i => i * 2).Where(i => i > 10).SelectMany(i => new[] { i, i }).Explain();
        Assert.Contains("Physical plan: 1 task", plan);
        Assert.Equal(3, Occurrences(plan, "->"));
        Assert.DoesNotContain("<-", plan);
    }

    [Fact]
    public void Explain_CrossAndBroadcast_ShowBroadcastExchanges()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var big = env.Generate(100, i => i);
        var small = env.FromCollection(new[] { 1L, 2L });
        var plan = big.Cross(small, (a, b) => a * b).WithBroadcast(small).Select((x, set) => x + set.Count).Explain();
        Assert.True(Occurrences(plan, "broadcast") == 2, plan);
    }

    [Fact]
    public void Explain_DistinctAndCount_ShowCombinersBeforeTheirExchanges()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var plan = env.FromCollection(Gen.Words(Shape.Small, 4)).Distinct().GroupBy(w => w.Length).Count().Explain();
        Assert.Contains("Combine(Distinct(record))", plan);
        Assert.Contains("Combine(Count)", plan);
        Assert.True(Occurrences(plan, "hash(") == 2, plan);
    }

    [Fact]
    public void Explain_OrderByThenTake_ShowsSampleBroadcastRangeExchangeAndSingleMerge()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var (orders, _) = Inputs(env);
        var plan = orders.OrderBy(o => o.Amount).ThenBy(o => o.Id).Take(3).Explain();
        Assert.Contains("Sample(OrderBy(o => o.Amount).ThenBy(o => o.Id))", plan);
        Assert.Contains("broadcast", plan);
        Assert.Contains("range(OrderBy(o => o.Amount).ThenBy(o => o.Id))", plan);
        // The per-partition take runs in the sort's task; one subtask merges.
        Assert.Matches(@"OrderBy\(o => o.Amount\).ThenBy\(o => o.Id\) -> Combine\(Take\(3\)\)", plan);
        Assert.Contains("Take(3)  (parallelism 1)", plan);
        Assert.DoesNotContain("hash(", plan);
    }
}
