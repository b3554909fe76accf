namespace Dataflow.Engine.Tests;

/// <summary>Superstep checkpoints of embedded iterations (docs/checkpoints.md): when they are taken, what they keep, how a run resumes.</summary>
public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class Events : IDataflowObserver
    {
        public List<CheckpointEvent> Checkpoints { get; } = new();

        public List<RecoveryEvent> Recoveries { get; } = new();

        public List<SuperstepStatistics> Supersteps { get; } = new();

        public int FailAt { get; init; }

        public void OnCheckpoint(CheckpointEvent checkpoint) => Checkpoints.Add(checkpoint);

        public void OnRecovery(RecoveryEvent recovery) => Recoveries.Add(recovery);

        public void OnSuperstep(SuperstepStatistics s)
        {
            Supersteps.Add(s);
            if (s.Superstep == FailAt) throw new InvalidOperationException($"stopped at superstep {FailAt}");
        }
    }

    /// <summary>
    /// A bulk iteration whose step reads the last superstep's aggregator value and joins a loop-invariant input, so a
    /// restore that lost either would change the answer; it converges on the aggregator.
    /// </summary>
    private static Task<List<(int Key, long Value)>> Job(DataflowEnvironment env, int iterations, Action? onInvariantRead = null)
    {
        var table = env.Generate(40, i =>
        {
            onInvariantRead?.Invoke();
            return (Key: i, Add: (long)i * 3);
        });
        return env.FromCollection(Enumerable.Range(0, 500).Select(i => (Key: i % 40, Value: (long)i)).ToList())
            .IterateBulk(iterations, (xs, ctx) =>
            {
                var total = ctx.Count("total");
                ctx.ConvergeWhen(() => total.Value > 4_500_000);
                return xs.Join(table, x => x.Key, t => t.Key, (x, t) => (x.Key, Value: (x.Value + t.Add + total.Value % 1000) % 1_000_003))
                    .Select(x =>
                    {
                        total.Add(x.Value);
                        return x;
                    });
            }, "job")
            .CollectAsync();
    }

    private static List<(int Key, long Value)> Expected(int iterations, out int supersteps)
    {
        var xs = Enumerable.Range(0, 500).Select(i => (Key: i % 40, Value: (long)i)).ToList();
        long total = 0;
        for (supersteps = 1; ; supersteps++)
        {
            long previous = total;
            xs = xs.Select(x => (x.Key, Value: (x.Value + x.Key * 3L + previous % 1000) % 1_000_003)).ToList();
            total = xs.Sum(x => x.Value);
            if (total > 4_500_000 || supersteps == iterations) break;
        }
        return xs.Order().ToList();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task EnableCheckpoints_EveryTwoSupersteps_TakesThemAfterEverySecondBarrierButTheLastAndRemovesThemAtTheEnd(int parallelism)
    {
        var events = new Events();
        var env = DataflowEnvironment.CreateLocal(parallelism).EnableCheckpoints(2, _dir).AddObserver(events);
        var result = await Job(env, 6);
        Assert.Equal(Expected(6, out _), result.Order());
        Assert.Equal(6, events.Supersteps.Count);
        Assert.Equal([2, 4], events.Checkpoints.Select(c => c.Superstep).Order());
        Assert.All(events.Checkpoints, c =>
        {
            Assert.Equal(parallelism, c.Parallelism);
            Assert.True(c.Bytes > 500 * 8, $"{c.Bytes} bytes hold 500 records of two numbers");
        });
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }

    [Fact]
    public async Task ResumeFrom_FailedRun_GoesOnWithAggregatorsConvergenceAndLoopInvariantInputs()
    {
        Expected(50, out int total);
        Assert.True(total is > 4 and < 50, $"the job converges in {total} supersteps");
        var failing = new Events { FailAt = 4 };
        await Assert.ThrowsAnyAsync<Exception>(() => Job(DataflowEnvironment.CreateLocal(2).EnableCheckpoints(3, _dir).AddObserver(failing), 50));

        var events = new Events();
        int reads = 0;
        var resumed = await Job(DataflowEnvironment.CreateLocal(2).ResumeFrom(_dir).AddObserver(events), 50, () => Interlocked.Increment(ref reads));

        Assert.Equal(Expected(50, out _), resumed.Order());
        var recovery = Assert.Single(events.Recoveries);
        Assert.Equal(3, recovery.Superstep);
        Assert.StartsWith("resumed from ", recovery.Reason);
        Assert.Equal(Enumerable.Range(4, total - 3), events.Supersteps.Select(s => s.Superstep));
        Assert.Equal(40, reads); // the loop-invariant input was read again, once
    }

    [Fact]
    public async Task ResumeFrom_NewestCheckpointDamaged_FallsBackToTheOneBefore()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Job(DataflowEnvironment.CreateLocal(2).EnableCheckpoints(2, _dir).AddObserver(new Events { FailAt = 7 }), 50));
        var newest = Directory.EnumerateDirectories(_dir, "ss-000006", SearchOption.AllDirectories).Single();
        var file = Directory.EnumerateFiles(newest, "*.ckpt").First();
        var bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        var events = new Events();
        var resumed = await Job(DataflowEnvironment.CreateLocal(2).ResumeFrom(_dir).AddObserver(events), 50);
        Assert.Equal(Expected(50, out _), resumed.Order());
        Assert.Equal(4, Assert.Single(events.Recoveries).Superstep);
    }

    [Fact]
    public async Task ResumeFrom_CheckpointOfOtherState_FailsNamingBothStates()
    {
        await Assert.ThrowsAnyAsync<Exception>(() => Job(DataflowEnvironment.CreateLocal(2).EnableCheckpoints(2, _dir).AddObserver(new Events { FailAt = 3 }), 50));
        var env = DataflowEnvironment.CreateLocal(2).ResumeFrom(_dir);
        var job = env.FromCollection(new[] { "a", "b" }).IterateBulk(5, xs => xs.Select(x => x + "!"), "job").CollectAsync();
        var e = await Assert.ThrowsAnyAsync<Exception>(() => job);
        Assert.Contains("Cannot resume iteration 'job'", e.Message);
        Assert.Contains("System.String", e.Message);
        Assert.Contains("System.Int64", e.Message);
    }

    [Fact]
    public void ResumeFrom_FolderWithoutCheckpoints_FailsNamingIt()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var e = Assert.Throws<DirectoryNotFoundException>(() => env.ResumeFrom(_dir));
        Assert.Contains(_dir, e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => env.ResumeFrom(Path.Combine(_dir, "missing")));
    }

    [Fact]
    public async Task ResumeFrom_AfterTheIterationCompleted_RunsItFromTheStart()
    {
        // The checkpoints of an iteration that ended are removed; a job folder with none left is removed too.
        await Job(DataflowEnvironment.CreateLocal(2).EnableCheckpoints(2, _dir), 6);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
        // Of a job with two iterations whose second failed, only the second's remain: the first runs again.
        var first = new Events();
        var env = DataflowEnvironment.CreateLocal(2).EnableCheckpoints(2, _dir).AddObserver(first);
        await Job(env, 5);
        await Assert.ThrowsAnyAsync<Exception>(() => Job(env.AddObserver(new Events { FailAt = 3 }), 50));
        var job = Assert.Single(Directory.EnumerateDirectories(_dir));
        Assert.Equal(["it2-job"], Directory.EnumerateDirectories(job).Select(Path.GetFileName));

        var events = new Events();
        var again = DataflowEnvironment.CreateLocal(2).ResumeFrom(_dir).AddObserver(events);
        Assert.Equal(Expected(5, out _), (await Job(again, 5)).Order());
        Assert.Empty(events.Recoveries);
        Assert.Equal(Expected(50, out _), (await Job(again, 50)).Order());
        Assert.Equal(2, Assert.Single(events.Recoveries).Superstep);
    }

    [Fact]
    public async Task EnableCheckpoints_DirectoryIsAFile_FailsNamingIt()
    {
        var file = Path.Combine(_dir, "file");
        File.WriteAllText(file, "");
        var e = await Assert.ThrowsAnyAsync<IOException>(() => Job(DataflowEnvironment.CreateLocal(2).EnableCheckpoints(2, file), 6));
        Assert.Contains(file, e.Message);
    }

    [Fact]
    public void EnableCheckpoints_IntervalBelowOne_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DataflowEnvironment.CreateLocal(2).EnableCheckpoints(0));
}
