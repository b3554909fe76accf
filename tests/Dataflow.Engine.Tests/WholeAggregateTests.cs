using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary><c>Aggregate</c> and non-grouped <c>Reduce</c> fold a whole data set into one record: a combiner per subtask, one merging subtask.</summary>
public class WholeAggregateTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Aggregate_Numbers_EqualsLinqAndHoldsOneRecord(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var numbers = Enumerable.Range(0, 10_000).Select(i => (long)(i * 7 % 1009)).ToList();
        var result = await env.FromCollection(numbers).Aggregate((Sum: 0L, Count: 0), (a, x) => (a.Sum + x, a.Count + 1), (a, b) => (a.Sum + b.Sum, a.Count + b.Count))
            .CollectAsync();
        Assert.Equal([(numbers.Sum(), numbers.Count)], result);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task AggregateAndReduce_EmptyInput_IdentityAndNoRecord(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var none = env.FromCollection(Enumerable.Range(0, 100).ToList()).Where(i => i < 0);
        Assert.Equal([0L], await none.Aggregate(0L, (s, x) => s + x, (a, b) => a + b).CollectAsync());
        Assert.Empty(await none.Reduce((a, b) => a + b).CollectAsync());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Reduce_Records_EqualsLinqAggregate(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var visits = Enumerable.Range(0, 5_000).Select(i => (User: i % 37, Time: (long)(i * 7919 % 4999))).ToList();
        var latest = await env.FromCollection(visits).Reduce((a, b) => a.Time > b.Time || (a.Time == b.Time && a.User <= b.User) ? a : b).CollectAsync();
        var expected = visits.Aggregate((a, b) => a.Time > b.Time || (a.Time == b.Time && a.User <= b.User) ? a : b);
        Assert.Equal([expected], latest);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Aggregate_BroadcastInIterationUnderRescaling_OneValuePerSuperstepEqualsLoop(int p)
    {
        // The merging subtask stays one when the step's parallelism changes (from 1 too): the broadcast holds one value.
        var services = new ServiceCollection();
        services.AddDataflow(o => o.Parallelism = p).AddFixedElasticity(o => o.Schedule = [3, 1, 4, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
        var initial = Enumerable.Range(1, 500).Select(i => (double)i).ToList();
        var result = await env.FromCollection(initial).IterateBulk(5, (xs, ctx) =>
        {
            var total = xs.Aggregate(0.0, (s, x) => s + x, (a, b) => a + b);
            return xs.WithBroadcast(total).Select((x, t) => t.Count == 1 ? x / t[0] * 1000 : double.NaN);
        }).CollectAsync();

        var expected = initial;
        for (int i = 0; i < 5; i++)
        {
            double t = expected.Sum();
            expected = expected.Select(x => x / t * 1000).ToList();
        }
        Assert.Equal(expected.Count, result.Count);
        foreach (var (e, a) in expected.Order().Zip(result.Order())) Assert.Equal(e, a, 1e-9);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Aggregate_MutableAccumulatorFromAFactory_EverySubtaskAndRunStartsFresh(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var values = Enumerable.Range(0, 3_000).Select(i => i * 7 % 10).ToList();
        var histogram = env.FromCollection(values).Aggregate(() => new long[10], (h, x) =>
        {
            h[x]++;
            return h;
        }, (a, b) =>
        {
            for (int i = 0; i < a.Length; i++) a[i] += b[i];
            return a;
        });
        var expected = Enumerable.Range(0, 10).Select(b => (long)values.Count(v => v == b)).ToArray();
        Assert.Equal(expected, (await histogram.CollectAsync()).Single());
        Assert.Equal(expected, (await histogram.CollectAsync()).Single()); // a second run does not add to the first's arrays
    }

    [Fact]
    public async Task Aggregate_FoldThrows_FailsNamingThePartialAggregate()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var job = env.FromCollection(Enumerable.Range(0, 1000).ToList())
            .Aggregate(0, (s, x) => x == 500 ? throw new InvalidOperationException("fold boom") : s + x, (a, b) => a + b).CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job);
        Assert.Equal("Aggregate(partial)", ex.OperatorName);
        Assert.Contains("fold boom", ex.Message);
    }

    [Fact]
    public void Explain_Aggregate_PartialInEverySubtaskMergeInOne()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var plan = env.FromCollection(Enumerable.Range(0, 10).ToList()).Aggregate(0, (s, x) => s + x, (a, b) => a + b).Explain();
        Assert.Matches(@"FromCollection\(\d+\) -> Aggregate\(partial\)  \(parallelism 4\)", plan);
        Assert.Contains("Aggregate  (parallelism 1)", plan);
        Assert.DoesNotContain("hash(", plan);
    }
}
