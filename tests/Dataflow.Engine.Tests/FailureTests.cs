using System.Diagnostics;
using Dataflow.Operators.Sources;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Partitioning;

namespace Dataflow.Engine.Tests;

/// <summary>
/// docs/architecture.md §11: user exceptions, bad input, missing files and cancellation end the job promptly with
/// a clear error, and never leave a partial output file.
/// </summary>
public class FailureTests
{
    /// <summary>Every failing job must end well within this; a hang fails the test instead of the run.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30); // a hang guard

    private sealed class BoomException(string message) : Exception(message);

    /// <summary>The subtask of a FromCollection source that reads index <paramref name="index"/> of <paramref name="count"/> items.</summary>
    private static int SliceOf(int index, int count, int p) =>
        Enumerable.Range(0, p).First(s => (long)count * (s + 1) / p > index);

    /// <summary>The subtask a hash exchange sends <paramref name="key"/> to (docs/architecture.md §4).</summary>
    private static int SubtaskOfKey<TKey>(TKey key, int p) =>
        KeyGroups.SubtaskOf(KeyGroups.KeyGroupOf(StableHash.Of(key), KeyGroups.DefaultMaxParallelism), p, KeyGroups.DefaultMaxParallelism);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Select_ThrowsOnOneRecord_FailsWithOperatorSubtaskAndOriginalException(int p)
    {
        const int n = 20_000, bad = 12_345;
        var boom = new BoomException("boom at 12345");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.FromCollection(Enumerable.Range(0, n).ToList()).Select(x => x == bad ? throw boom : x * 2).CountAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Contains("Select", ex.OperatorName);
        Assert.Equal(SliceOf(bad, n, p), ex.Subtask);
        Assert.Same(boom, ex.InnerException);
        Assert.Contains("boom at 12345", ex.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Select_AfterHashExchangeThrowsOnOneKey_ReportsTheKeysSubtask(int p)
    {
        var boom = new BoomException("bad key 33");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.Generate(50_000, i => (int)(i % 100))
            .GroupBy(k => k).Count()
            .Select(c => c.Key == 33 ? throw boom : c.Count)
            .CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Contains("Select", ex.OperatorName);
        Assert.Equal(SubtaskOfKey(33, p), ex.Subtask);
        Assert.Same(boom, ex.InnerException);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task JoinResultSelector_ThrowsOnOneKey_FailsWithJoinOperatorAndKeysSubtask(int p)
    {
        var boom = new BoomException("join boom");
        var env = DataflowEnvironment.CreateLocal(p);
        var left = env.FromCollection(Enumerable.Range(0, 10_000).ToList());
        var right = env.FromCollection(Enumerable.Range(0, 3000).Select(i => (Key: i, Name: $"n{i}")).ToList());
        var job = left.Join(right, l => l, r => r.Key, (l, r) => l == 777 ? throw boom : r.Name).CountAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Contains("Join", ex.OperatorName);
        Assert.Equal(SubtaskOfKey(777, p), ex.Subtask);
        Assert.Same(boom, ex.InnerException);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task GroupByKeySelector_ThrowsOnOneRecordBeforeCount_FailsWithCountOperatorAndSourceSubtask(int p)
    {
        const int n = 30_000, bad = 29_999;
        var boom = new BoomException("key boom");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.FromCollection(Enumerable.Range(0, n).ToArray()).GroupBy(x => x == bad ? throw boom : x % 10).Count().CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Contains("Count", ex.OperatorName);
        Assert.Equal(SliceOf(bad, n, p), ex.Subtask);
        Assert.Same(boom, ex.InnerException);
    }

    /// <summary>Pipelines that fail in one user function; the name fragment the failure must carry.</summary>
    public static TheoryData<string, int> FailureSites
    {
        get
        {
            var data = new TheoryData<string, int>();
            string[] sites =
            [
                "Where", "SelectMany", "FlatMap", "Reduce", "Aggregate", "Sum", "ReduceGroup", "DistinctBy", "CoGroup",
                "Cross", "LeftOuterJoin", "Broadcast", "Generate", "FromEnumerable", "ReduceGroupKey", "JoinProbeKey",
                "JoinBuildKey", "CoGroupKey", "PartitionByHashKey", "ReduceGroupKeyAfterSelectMany", "ReduceGroupKeyAfterJoin",
            ];
            foreach (var s in sites)
            {
                data.Add(s, 1);
                data.Add(s, 4);
            }
            return data;
        }
    }

    private static (Task Job, string Fragment) FailingJob(DataflowEnvironment env, string site, Exception boom)
    {
        var numbers = env.FromCollection(Enumerable.Range(0, 20_000).ToList());
        var small = env.FromCollection(Enumerable.Range(0, 50).ToList());
        const int bad = 4321;
        return site switch
        {
            "Where" => (numbers.Where(x => x == bad ? throw boom : x % 2 == 0).CountAsync(), "Where"),
            "SelectMany" => (numbers.SelectMany(x => x == bad ? throw boom : new[] { x, x }).CountAsync(), "SelectMany"),
            "FlatMap" => (numbers.FlatMap<int>((x, e) => e.Emit(x == bad ? throw boom : x)).CountAsync(), "FlatMap"),
            "Reduce" => (numbers.GroupBy(x => x % 7).Reduce((a, b) => b == bad ? throw boom : a + b).CountAsync(), "Reduce"),
            "Aggregate" => (numbers.GroupBy(x => x % 7).Aggregate(x => (long)x, (a, x) => a + x, (a, b) => a + b,
                (k, a) => k == 3 ? throw boom : a).CountAsync(), "Aggregate"),
            "Sum" => (numbers.GroupBy(x => x % 7).Sum(x => x == bad ? throw boom : (long)x).CountAsync(), "Sum"),
            "ReduceGroup" => (numbers.GroupBy(x => x % 7).ReduceGroup((k, g) => k == 3 ? throw boom : g.Take(1)).CountAsync(), "ReduceGroup"),
            "DistinctBy" => (numbers.DistinctBy(x => x == bad ? throw boom : x % 100).CountAsync(), "Distinct"),
            "CoGroup" => (numbers.CoGroup(small, x => x % 50, y => y, (k, a, b) => k == 3 ? throw boom : a.Take(1)).CountAsync(), "CoGroup"),
            "Cross" => (numbers.Cross(small, (a, b) => a == bad && b == 7 ? throw boom : a + b).CountAsync(), "Cross"),
            "LeftOuterJoin" => (numbers.LeftOuterJoin(small, x => x, y => y, (x, y) => x == bad ? throw boom : x + y).CountAsync(), "LeftOuterJoin"),
            "Broadcast" => (numbers.WithBroadcast(small).Select((x, set) => x == bad ? throw boom : x + set.Count).CountAsync(), "Broadcast"),
            "Generate" => (env.Generate(20_000, i => i == bad ? throw boom : i).CountAsync(), "Generate"),
            "FromEnumerable" => (env.FromEnumerable(Throwing(boom)).Select(x => x + 1).CountAsync(), "FromEnumerable"),
            // Key selectors that run in a hash exchange: the failure belongs to the keyed operator.
            "ReduceGroupKey" => (numbers.GroupBy(x => x == bad ? throw boom : x % 7).ReduceGroup((k, g) => g.Take(1)).CountAsync(), "ReduceGroup"),
            "JoinProbeKey" => (numbers.Join(small, x => x == bad ? throw boom : x, y => y, (x, y) => x).CountAsync(), "Join"),
            "JoinBuildKey" => (small.Join(numbers, y => y, x => x == bad ? throw boom : x, (y, x) => x).CountAsync(), "Join"),
            "CoGroupKey" => (numbers.CoGroup(small, x => x == bad ? throw boom : x, y => y, (k, a, b) => a).CountAsync(), "CoGroup"),
            "PartitionByHashKey" => (numbers.PartitionByHash(x => x == bad ? throw boom : x).CountAsync(), "PartitionByHash"),
            // ... and must not be blamed on the (innocent) user operator that fed the exchange.
            "ReduceGroupKeyAfterSelectMany" => (numbers.SelectMany(x => new[] { x })
                .GroupBy(x => x == bad ? throw boom : x % 7).ReduceGroup((k, g) => g.Take(1)).CountAsync(), "ReduceGroup"),
            "ReduceGroupKeyAfterJoin" => (numbers.Join(small, x => x % 50, y => y, (x, y) => x)
                .GroupBy(x => x == bad ? throw boom : x % 7).ReduceGroup((k, g) => g.Take(1)).CountAsync(), "ReduceGroup"),
            _ => throw new ArgumentOutOfRangeException(nameof(site)),
        };
    }

    private static IEnumerable<int> Throwing(Exception boom)
    {
        for (int i = 0; i < 5000; i++) yield return i;
        throw boom;
    }

    [Theory]
    [MemberData(nameof(FailureSites))]
    public async Task UserFunction_Throws_FailsJobNamingTheOperatorWithOriginalInnerException(string site, int p)
    {
        var boom = new BoomException($"boom in {site}");
        var env = DataflowEnvironment.CreateLocal(p);
        var (job, fragment) = FailingJob(env, site, boom);
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Same(boom, ex.InnerException);
        Assert.InRange(ex.Subtask, 0, p - 1);
        Assert.True(ex.OperatorName.Contains(fragment, StringComparison.Ordinal),
            $"expected the failure to name the {fragment} operator, but OperatorName is \"{ex.OperatorName}\" (message: {ex.Message})");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Select_ThrowsWhileOtherSubtasksReadAnEndlessSource_FailsPromptlyAndStopsAllUserCode(int p)
    {
        var boom = new BoomException("stop");
        long calls = 0;
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.Generate(long.MaxValue / 2, i => i)
            .Select(i =>
            {
                Interlocked.Increment(ref calls);
                return i == 200_000 ? throw boom : i;
            })
            .GroupBy(i => i % 1000).Count()
            .CountAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Same(boom, ex.InnerException);
        long after = Interlocked.Read(ref calls);
        await Task.Delay(300);
        Assert.Equal(after, Interlocked.Read(ref calls)); // no subtask keeps running after the job ended
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Environment_AfterAFailedJob_RunsTheNextJobCorrectly(int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var data = env.FromCollection(Enumerable.Range(0, 5000).ToList());
        await Assert.ThrowsAsync<JobExecutionException>(() =>
            data.Select(x => x == 42 ? throw new BoomException("x") : x).CountAsync().WaitAsync(Prompt));
        Assert.Equal(5000L, await data.Select(x => x).CountAsync().WaitAsync(Prompt));
        var sums = await data.GroupBy(x => x % 3).Sum(x => (long)x).CollectAsync().WaitAsync(Prompt);
        Multiset.Equal(Enumerable.Range(0, 5000).GroupBy(x => x % 3).Select(g => (g.Key, g.Sum(x => (long)x))), sums);
    }

    // ----- bad input -----

    public static TheoryData<int, int, int, bool> MalformedCsvCases => new()
    {
        // parallelism, lines in the file, the bad line, CRLF line ends
        { 1, 40, 7, false },
        { 4, 40, 7, false },
        { 4, 10, 7, false },   // line 7 falls in a later split
        { 7, 9, 7, true },
        { 1, 50_000, 30_000, false },
        { 4, 50_000, 30_000, false }, // deep in the third byte split
        { 4, 50_000, 30_000, true },
        { 2, 50_000, 50_000, false }, // the very last line
    };

    [Theory]
    [MemberData(nameof(MalformedCsvCases))]
    public async Task ReadCsv_NonNumericField_FailsWithPathAndLineNumber(int p, int lines, int badLine, bool crlf)
    {
        using var dir = new TempDir();
        var path = dir.File("numbers.csv");
        var text = string.Join(crlf ? "\r\n" : "\n",
            Enumerable.Range(1, lines).Select(i => i == badLine ? $"{i},abc,x" : $"{i},{i * 2},\"q,{i}\""));
        File.WriteAllText(path, text + (badLine == lines ? "" : "\n"));
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.ReadCsv(path, row => (row.GetInt32(0), row.GetInt64(1), row.GetString(2))).CountAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        var inner = Assert.IsType<InputFormatException>(ex.InnerException);
        Assert.StartsWith($"{path}:{badLine}: ", inner.Message);
        Assert.Contains("abc", inner.Message);
        Assert.Equal(badLine, inner.Line);
        Assert.Equal(path, inner.Path);
        Assert.Contains($"{path}:{badLine}:", ex.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ReadCsv_MissingField_FailsWithPathLineAndFieldCount(int p)
    {
        using var dir = new TempDir();
        var path = dir.File("short.csv");
        File.WriteAllLines(path, Enumerable.Range(1, 30).Select(i => i == 12 ? "12" : $"{i},{i}"));
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.ReadCsv(path, row => row.GetInt32(0) + row.GetInt32(1)).CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        var inner = Assert.IsType<InputFormatException>(ex.InnerException);
        Assert.StartsWith($"{path}:12: ", inner.Message);
        Assert.Contains("expected at least 2 fields, found 1", inner.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ReadCsv_UnterminatedQuote_FailsWithPathAndLine(int p)
    {
        using var dir = new TempDir();
        var path = dir.File("quotes.csv");
        File.WriteAllLines(path, Enumerable.Range(1, 20).Select(i => i == 5 ? "5,\"open" : $"{i},\"ok\""));
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.ReadCsv(path, row => row.GetString(1), new CsvFormat()).CollectAsync();
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        var inner = Assert.IsType<InputFormatException>(ex.InnerException);
        Assert.StartsWith($"{path}:5: ", inner.Message);
    }

    [Fact]
    public async Task ReadTextLines_MissingFile_ThrowsFileNotFoundNamingThePath()
    {
        using var dir = new TempDir();
        var path = dir.File("missing.txt");
        var env = DataflowEnvironment.CreateLocal(2);
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => env.ReadTextLines(path).CountAsync().WaitAsync(Prompt));
        Assert.Contains(path, ex.Message);
        Assert.Equal(path, ex.FileName);
    }

    [Fact]
    public async Task ReadCsv_MissingFileOnOneSideOfAJoin_ThrowsFileNotFoundAndWritesNothing()
    {
        using var dir = new TempDir();
        var path = dir.File("nope.csv");
        var env = DataflowEnvironment.CreateLocal(2);
        var job = env.ReadCsv(path, row => row.GetInt32(0))
            .Join(env.FromCollection(new[] { 1, 2 }), x => x, y => y, (x, y) => x)
            .WriteTextAsync(dir.File("out.txt"));
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => job.WaitAsync(Prompt));
        Assert.Contains(path, ex.Message);
        Assert.Empty(dir.ListFileNames());
    }

    // ----- output files -----

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WriteTextAsync_FormatThrows_LeavesNoOutputOrTemporaryFiles(int p)
    {
        using var dir = new TempDir();
        var boom = new BoomException("format");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.FromCollection(Enumerable.Range(0, 50_000).ToList())
            .WriteTextAsync(dir.File("out.txt"), x => x == 40_000 ? throw boom : x.ToString());
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Same(boom, ex.InnerException);
        Assert.Contains("WriteText", ex.OperatorName);
        Assert.Empty(dir.ListFileNames());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WriteTextAsync_UpstreamThrows_LeavesNoOutputOrTemporaryFiles(int p)
    {
        using var dir = new TempDir();
        var boom = new BoomException("upstream");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.FromCollection(Enumerable.Range(0, 50_000).ToList())
            .Select(x => x == 45_000 ? throw boom : x)
            .Rebalance()
            .WriteTextAsync(dir.File("out.txt"));
        var ex = await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Same(boom, ex.InnerException);
        Assert.Empty(dir.ListFileNames());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WriteCsvAsync_WriterThrows_KeepsThePreviousFileUntouched(int p)
    {
        using var dir = new TempDir();
        var output = dir.File("out.csv");
        File.WriteAllText(output, "previous content\n");
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.FromCollection(Enumerable.Range(0, 20_000).ToList())
            .WriteCsvAsync(output, (x, row) => row.Field(x).Field(x == 19_999 ? throw new BoomException("csv") : "v"));
        await Assert.ThrowsAsync<JobExecutionException>(() => job.WaitAsync(Prompt));
        Assert.Equal(["out.csv"], dir.ListFileNames());
        Assert.Equal("previous content\n", File.ReadAllText(output));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WriteTextAsync_Success_ReplacesExistingFileAndLeavesNoTemporaryFiles(int p)
    {
        using var dir = new TempDir();
        var output = dir.File("out.txt");
        File.WriteAllText(output, string.Concat(Enumerable.Repeat("old line that is longer than the new content\n", 5000)));
        var env = DataflowEnvironment.CreateLocal(p);
        await env.FromCollection(Enumerable.Range(0, 3000).ToList()).Select(x => x * 3).WriteTextAsync(output).WaitAsync(Prompt);
        Assert.Equal(["out.txt"], dir.ListFileNames());
        Multiset.Equal(Enumerable.Range(0, 3000).Select(x => (x * 3).ToString()), File.ReadAllLines(output));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task WriteTextAsync_Cancelled_LeavesNoOutputOrTemporaryFiles(int p)
    {
        using var dir = new TempDir();
        using var cts = new CancellationTokenSource();
        var env = DataflowEnvironment.CreateLocal(p);
        var job = env.Generate(long.MaxValue / 2, i => i).WriteTextAsync(dir.File("out.txt"), cancellationToken: cts.Token);
        await Task.Delay(200);
        Assert.False(job.IsCompleted, "the endless job must still be running when cancelled");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(Prompt));
        Assert.Empty(dir.ListFileNames());
    }

    // ----- cancellation -----

    public static TheoryData<string, int> CancellationCases
    {
        get
        {
            var data = new TheoryData<string, int>();
            foreach (var plan in new[] { "chain", "aggregate", "join" })
            {
                data.Add(plan, 1);
                data.Add(plan, 4);
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CancellationCases))]
    public async Task EndlessJob_CancelledAfter200Ms_ThrowsOperationCanceledWithinTwoSeconds(string plan, int p)
    {
        var env = DataflowEnvironment.CreateLocal(p);
        var endless = env.Generate(long.MaxValue / 2, i => i);
        using var cts = new CancellationTokenSource();
        Task job = plan switch
        {
            "chain" => endless.Select(i => i * 2).Where(i => i % 3 != 0).CountAsync(cts.Token),
            "aggregate" => endless.GroupBy(i => i % 1000).Count().CollectAsync(cts.Token),
            _ => endless.Join(env.FromCollection(Enumerable.Range(0, 100).Select(i => (long)i).ToList()), i => i % 100, k => k, (i, k) => i + k)
                .CountAsync(cts.Token),
        };
        await Task.Delay(200);
        Assert.False(job.IsCompleted, "the endless job must still be running when cancelled");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.WaitAsync(Prompt)); // Prompt is a hang guard, not a bound the test claims
    }

    [Fact]
    public async Task CountAsync_AlreadyCancelledToken_ThrowsOperationCanceled()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            env.Generate(1000, i => i).CountAsync(cts.Token).WaitAsync(Prompt));
    }
}
