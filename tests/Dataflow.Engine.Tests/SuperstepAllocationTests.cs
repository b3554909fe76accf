using Dataflow.Runtime.Statistics;

namespace Dataflow.Engine.Tests;

/// <summary>
/// A warm superstep of a bulk iteration allocates close to nothing on the engine's path (issue #17): its tables,
/// buffers, batches and partial-solution lists are those of the superstep before, cleared and refilled. Measured with the
/// subtask threads' allocation counters (<see cref="TaskStatistics.AllocatedBytes"/>), never with time.
/// </summary>
public class SuperstepAllocationTests
{
    private sealed class Recorder : IDataflowObserver
    {
        public List<SuperstepStatistics> Supersteps { get; } = new();

        public void OnSuperstep(SuperstepStatistics s) => Supersteps.Add(s);
    }

    /// <summary>A PageRank-shaped step over <paramref name="vertices"/> ids with 10 edges each: a probe of the loop-invariant edges into a sum, an outer join with the sums, a map.</summary>
    private static async Task<(long WarmBytes, long Records)> WarmSuperstepAllocationAsync(int vertices, int parallelism)
    {
        var env = DataflowEnvironment.CreateLocal(parallelism);
        var recorder = new Recorder();
        env.AddObserver(recorder);
        var rng = new Random(3);
        var edges = env.FromCollection(Enumerable.Range(0, vertices * 10).Select(i => (Src: (long)(i / 10), Dst: (long)rng.Next(vertices))).ToList());
        var initial = env.FromCollection(Enumerable.Range(0, vertices).Select(i => (Id: (long)i, Value: 1.0)).ToList());
        var result = await initial.IterateBulk(8, (ranks, ctx) =>
        {
            var sums = ranks.Join(edges, r => r.Id, e => e.Src, (r, e) => (Vertex: e.Dst, Value: r.Value * 0.1)).GroupBy(c => c.Vertex).Sum(c => c.Value);
            return ranks.LeftOuterJoin(sums, r => r.Id, s => s.Key, (r, s) => (r.Id, Incoming: s.Sum)).Select(x => (x.Id, Value: 0.15 + 0.85 * x.Incoming));
        }).CountAsync();
        Assert.Equal(vertices, result);
        Assert.Equal(8, recorder.Supersteps.Count);
        // Supersteps 1 and 2 build the loop-invariant index and grow the tables that later supersteps refill; take the
        // least of the warm ones (a GC or a tier-up of the JIT in one superstep is not the engine's path).
        long warm = recorder.Supersteps.Skip(3).Min(s => s.Tasks.Sum(t => t.AllocatedBytes));
        long records = recorder.Supersteps[^1].Tasks.Sum(t => t.RecordsIn);
        return (warm, records);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task IterateBulk_WarmSuperstep_AllocatesNothingPerRecord(int parallelism)
    {
        var (small, _) = await WarmSuperstepAllocationAsync(2_000, parallelism);
        var (large, records) = await WarmSuperstepAllocationAsync(100_000, parallelism);
        // 50 times the records (1 M edges probed, some 0.4 M records between tasks per superstep): what a warm superstep
        // allocates must not grow with them. It
        // allocated about 40 bytes per record before the tables were kept (some 60 MB a superstep); what is left are
        // per-operator objects (a few KiB each).
        Assert.True(records > 300_000, $"{records} records");
        Assert.True(large - small < 256 * 1024, $"a warm superstep allocated {large:N0} bytes over {records:N0} records, {small:N0} over 50 times fewer");
        Assert.True(large < 1024 * 1024, $"a warm superstep allocated {large:N0} bytes over {records:N0} records");
    }
}
