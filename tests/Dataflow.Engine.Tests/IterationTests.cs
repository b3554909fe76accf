using System.Text.Json;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Engine.Tests;

public class IterationTests
{
    private sealed class Recorder : IDataflowObserver
    {
        public List<SuperstepStatistics> Supersteps { get; } = new();

        public List<JobSummary> Jobs { get; } = new();

        public void OnSuperstep(SuperstepStatistics s) => Supersteps.Add(s);

        public void OnJobFinished(JobSummary j) => Jobs.Add(j);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task IterateBulk_FixedSteps_EqualsLoopOverLinq(int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var data = Enumerable.Range(0, 5000).Select(i => (Key: i % 37, Value: (long)i)).ToList();
        var result = await env.FromCollection(data)
            .IterateBulk(5, xs => xs.Select(x => (x.Key, Value: x.Value * 3 + x.Key)).Where(x => x.Value % 7 != 0))
            .CollectAsync();
        IEnumerable<(int Key, long Value)> expected = data;
        for (int i = 0; i < 5; i++) expected = expected.Select(x => (x.Key, Value: x.Value * 3 + x.Key)).Where(x => x.Value % 7 != 0).ToList();
        Assert.Equal(expected.Order(), result.Order());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task IterateBulk_OuterJoinsWithLoopInvariantSideAndOrderByTake_EqualLoopOverLinq(int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var table = Enumerable.Range(0, 60).Select(i => (Key: i * 2, Add: (long)i)).ToList();
        var data = Enumerable.Range(0, 400).Select(i => (Key: i % 90, Value: (long)i)).ToList();
        var invariant = env.FromCollection(table);
        var result = await env.FromCollection(data)
            .IterateBulk(4, xs =>
            {
                // Full outer: the loop-invariant build side is not cached, its unmatched rows appear every superstep.
                var full = xs.FullOuterJoin(invariant, x => x.Key, t => t.Key, (x, t) => (Key: (x.Key + t.Key + 1) % 90, Value: x.Value + t.Add));
                // Right outer: the loop-invariant side is the build side and is indexed once.
                var right = invariant.RightOuterJoin(full, t => t.Key, x => x.Key, (t, x) => (x.Key, Value: x.Value + t.Add));
                return right.OrderByDescending(x => x.Value).ThenBy(x => x.Key).Take(300);
            })
            .CollectAsync();
        IEnumerable<(int Key, long Value)> expected = data;
        for (int i = 0; i < 4; i++)
        {
            var l = expected.ToList();
            var leftKeys = l.Select(x => x.Key).ToHashSet();
            var full = l.LeftJoin(table, x => x.Key, t => t.Key, (x, t) => (Key: (x.Key + t.Key + 1) % 90, Value: x.Value + t.Add))
                .Concat(table.Where(t => !leftKeys.Contains(t.Key)).Select(t => (Key: (t.Key + 1) % 90, Value: t.Add)));
            expected = table.RightJoin(full, t => t.Key, x => x.Key, (t, x) => (x.Key, Value: x.Value + t.Add))
                .OrderByDescending(x => x.Value).ThenBy(x => x.Key).Take(300).ToList();
        }
        Assert.Equal(expected, result);
    }

    [Fact]
    public async Task IterateBulk_ConvergenceCriterion_EndsEarly()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var recorder = new Recorder();
        env.AddObserver(recorder);
        var result = await env.FromCollection(new[] { 1024.0, 512.0 })
            .IterateBulk(100, (xs, ctx) =>
            {
                var total = ctx.Sum("total");
                ctx.ConvergeWhen(() => total.Value < 1.0);
                return xs.Select(x => { total.Add(x / 2); return x / 2; });
            })
            .CollectAsync();
        // 1536 / 2^k < 1 first holds at k = 11.
        Assert.Equal(11, recorder.Supersteps.Count);
        Assert.Equal(new[] { 0.25, 0.5 }, result.Order());
        Assert.Equal(1536.0 / 2048, (double)recorder.Supersteps[^1].Aggregators["total"]!);
    }

    [Fact]
    public async Task IterateBulk_TerminationCriterionEmpty_EndsEarly()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var recorder = new Recorder();
        env.AddObserver(recorder);
        var result = await env.FromCollection(Enumerable.Range(1, 100).ToList())
            .IterateBulk(1000, (xs, ctx) =>
            {
                var next = xs.Select(x => x > 10 ? x - 10 : x);
                ctx.TerminateWhenEmpty(next.Where(x => x > 10));
                return next;
            })
            .CollectAsync();
        Assert.Equal(9, recorder.Supersteps.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(x => (x - 1) % 10 + 1).Order(), result.Order());
    }

    [Fact]
    public async Task Aggregator_ValueOfPreviousSuperstep_IsReadableInNextSuperstep()
    {
        var env = DataflowEnvironment.CreateLocal(4);
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<int, long>();
        IterationsHelper.Ignore(await env.FromCollection(Enumerable.Range(0, 1000).ToList())
            .IterateBulk(4, (xs, ctx) =>
            {
                var count = ctx.Count("count");
                return xs.Where(x =>
                {
                    seen.TryAdd(ctx.Superstep, count.Value);
                    count.Add(1);
                    return x % 2 == 0;
                });
            })
            .CollectAsync());
        Assert.Equal(new long[] { 0, 1000, 500, 500 }, seen.OrderBy(kv => kv.Key).Select(kv => kv.Value));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task IterateDelta_EmptyWorkset_EndsBeforeMaxIterations(int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var recorder = new Recorder();
        env.AddObserver(recorder);
        // Each key counts down to zero; the workset holds keys that are still positive.
        var initial = env.FromCollection(Enumerable.Range(0, 50).Select(i => (Key: i, Value: i % 8)).ToList());
        var result = await initial.IterateDelta(initial.Where(x => x.Value > 0), x => x.Key, 100, (solution, workset, ctx) =>
        {
            var delta = solution.Join(workset, w => w.Key, (w, s) => (s.Key, Value: s.Value - 1));
            return (delta, delta.Where(x => x.Value > 0));
        }).CollectAsync();
        Assert.Equal(7, recorder.Supersteps.Count);
        Assert.Equal(0, recorder.Supersteps[^1].Workset);
        Assert.All(result, x => Assert.Equal(0, x.Value));
        Assert.Equal(50, result.Count);
    }

    [Fact]
    public async Task IterateBulk_LoopInvariantInput_IsEvaluatedOnce()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        int edgeReads = 0, pointReads = 0;
        var edges = env.Generate(1000, i =>
        {
            Interlocked.Increment(ref edgeReads);
            return (Src: i % 100, Dst: (i * 7) % 100);
        });
        var points = env.Generate(500, i =>
        {
            Interlocked.Increment(ref pointReads);
            return i;
        });
        var result = await env.FromCollection(Enumerable.Range(0, 100).Select(v => (Vertex: (long)v, Value: 1L)).ToList())
            .IterateBulk(6, xs =>
            {
                // Join build side (indexed once) and a broadcast gate's main input (replayed from memory).
                var hops = xs.Join(edges, x => x.Vertex, e => e.Src, (x, e) => (Vertex: e.Dst, x.Value))
                    .GroupBy(h => h.Vertex).Sum(h => h.Value)
                    .Select(s => (Vertex: s.Key, Value: s.Sum % 1_000_003));
                var touched = points.WithBroadcast(hops).Where((p, hs) => p < hs.Count).Select(p => (Vertex: (long)p, Value: 0L));
                return hops.Union(touched).GroupBy(x => x.Vertex).Sum(x => x.Value).Select(s => (Vertex: s.Key, Value: s.Sum));
            })
            .CollectAsync();
        Assert.Equal(1000, edgeReads);
        Assert.Equal(500, pointReads);
        Assert.Equal(100, result.Count);
    }

    [Fact]
    public async Task IterateBulk_UserExceptionInStep_FailsJobNamingOperator()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var job = env.FromCollection(Enumerable.Range(0, 100).ToList())
            .IterateBulk(10, (xs, ctx) => xs.Select(x => ctx.Superstep == 3 && x == 42 ? throw new InvalidOperationException("boom") : x + 1))
            .CollectAsync();
        var e = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Select", e.OperatorName);
        Assert.IsType<InvalidOperationException>(e.InnerException);
        Assert.Equal("boom", e.InnerException!.Message);
    }

    [Fact]
    public async Task IterateDelta_MalformedLoopInvariantInput_FailsWithPathAndLine()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllLinesAsync(path, ["1 2", "2 3", "3 x", "4 5"]);
        try
        {
            var env = DataflowEnvironment.CreateLocal(2);
            var edges = env.ReadCsv(path, r => (r.GetInt64(0), r.GetInt64(1)), Dataflow.CsvFormat.Whitespace);
            var initial = env.FromCollection(new[] { (1L, 1L) });
            var job = initial.IterateDelta(initial, x => x.Item1, 5, (s, w, ctx) =>
            {
                var next = w.Join(edges, x => x.Item1, e => e.Item1, (x, e) => (e.Item2, x.Item2));
                return (next, next);
            }).CollectAsync();
            var e = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains($"{path}:3:", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task StatisticsWriter_BulkIteration_WritesSuperstepLinesAndJobLineWithConsistentCounts()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        using var stream = new MemoryStream();
        env.AddObserver(new JsonStatisticsWriter(stream));
        var data = Enumerable.Range(0, 20_000).ToList();
        await env.FromCollection(data).IterateBulk(3, xs =>
        {
            // xs feeds two consumers, so the edges out of its task are forward exchanges, not chains.
            var evens = xs.Where(x => x % 2 == 0).Select(x => x + 2);
            var odds = xs.Where(x => x % 2 == 1).Select(x => x + 2);
            return evens.Union(odds).PartitionByHash(x => x % 10);
        }, "shift").CountAsync();

        var lines = System.Text.Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var supersteps = lines.Where(l => l.GetProperty("event").GetString() == "superstep").ToList();
        Assert.Equal(3, supersteps.Count);
        Assert.Equal([1, 2, 3], supersteps.Select(s => s.GetProperty("superstep").GetInt32()));
        var job = Assert.Single(lines, l => l.GetProperty("event").GetString() == "job");
        Assert.Equal("finished", job.GetProperty("status").GetString());
        Assert.Equal(3, job.GetProperty("supersteps").GetInt32());
        Assert.Equal("job", lines[^1].GetProperty("event").GetString());
        foreach (var s in supersteps)
        {
            Assert.Equal("shift", s.GetProperty("iteration").GetString());
            Assert.Equal(2, s.GetProperty("parallelism").GetInt32());
            var tasks = s.GetProperty("tasks").EnumerateArray().ToList();
            Assert.True(tasks.Sum(t => t.GetProperty("busy_ms").GetDouble()) > 0);
            Assert.True(tasks.Sum(t => t.GetProperty("cpu_ms").GetDouble()) > 0);
            long Out(string prefix) => tasks.Where(t => t.GetProperty("operator").GetString()!.StartsWith(prefix, StringComparison.Ordinal)).Sum(t => t.GetProperty("records_out").GetInt64());
            long In(string prefix) => tasks.Where(t => t.GetProperty("operator").GetString()!.StartsWith(prefix, StringComparison.Ordinal)).Sum(t => t.GetProperty("records_in").GetInt64());
            // The partial solution's task sends every record to both Where tasks over forward edges.
            Assert.Equal(2 * data.Count, Out("PartialSolution"));
            Assert.Equal(Out("PartialSolution"), In("Where"));
            Assert.Equal(Out("Union"), In("PartitionByHash"));
            Assert.Equal(data.Count, In("PartitionByHash"));
            Assert.True(s.GetProperty("workers")[0].GetProperty("memory_bytes").GetInt64() > 0);
        }
    }
}

internal static class IterationsHelper
{
    public static void Ignore<T>(T _) { }
}
