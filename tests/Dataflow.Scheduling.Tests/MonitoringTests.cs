using Dataflow.Scheduling.Monitoring;

namespace Dataflow.Scheduling.Tests;

public sealed class NodeMonitorTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("fakeproc").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void WriteProc(long utime, long stime, long busy, long idle, long rx, long tx, long read, long write, long rssPages, long availableKb)
    {
        Directory.CreateDirectory(Path.Combine(_root, "self"));
        Directory.CreateDirectory(Path.Combine(_root, "net"));
        File.WriteAllText(Path.Combine(_root, "self", "stat"), $"42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 {utime} {stime} 0 0 20 0 8 0 100 0 0\n");
        File.WriteAllText(Path.Combine(_root, "stat"), $"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
        File.WriteAllText(Path.Combine(_root, "self", "statm"), $"1000 {rssPages} 50 10 0 200 0\n");
        File.WriteAllText(Path.Combine(_root, "meminfo"), $"MemTotal:       1000000 kB\nMemFree:         100 kB\nMemAvailable:   {availableKb} kB\n");
        File.WriteAllText(Path.Combine(_root, "net", "dev"),
            "Inter-|   Receive                                                |  Transmit\n" +
            " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
            $"    lo: {rx} 10 0 0 0 0 0 0 {tx} 10 0 0 0 0 0 0\n" +
            $"  eth0: {rx} 10 0 0 0 0 0 0 {tx} 10 0 0 0 0 0 0\n");
        File.WriteAllText(Path.Combine(_root, "self", "io"), $"rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: {read}\nwrite_bytes: {write}\ncancelled_write_bytes: 0\n");
    }

    [Fact]
    public void SampleNow_FakeProc_ComputesRatesAndLevels()
    {
        var time = new ManualTimeProvider();
        WriteProc(utime: 0, stime: 0, busy: 0, idle: 0, rx: 0, tx: 0, read: 0, write: 0, rssPages: 10, availableKb: 250000);
        using var monitor = new NodeMonitor(new NodeMonitorOptions { ProcRoot = _root, CpuCores = 2 }, time);
        WriteProc(utime: 60, stime: 40, busy: 300, idle: 100, rx: 1000, tx: 3000, read: 4096, write: 8192, rssPages: 20, availableKb: 250000);
        time.Advance(TimeSpan.FromSeconds(1));

        var s = monitor.SampleNow();

        Assert.Equal(0.5, s.Cpu, 1e-9);          // 100 ticks = 1 s of CPU in 1 s over 2 cores
        Assert.Equal(0.75, s.NodeCpu, 1e-9);     // 300 busy of 400 ticks
        Assert.Equal(20.0 * Environment.SystemPageSize, s.MemoryBytes);
        Assert.Equal(0.75, s.NodeMemory, 1e-9);
        Assert.Equal(2000, s.NetIn, 1e-9);       // lo and eth0 both count by default
        Assert.Equal(6000, s.NetOut, 1e-9);
        Assert.Equal(4096, s.DiskRead, 1e-9);
        Assert.Equal(8192, s.DiskWrite, 1e-9);
    }

    [Fact]
    public void SampleNow_LoopbackExcluded_CountsOtherInterfacesOnly()
    {
        var time = new ManualTimeProvider();
        WriteProc(0, 0, 0, 0, rx: 0, tx: 0, 0, 0, 1, 1);
        using var monitor = new NodeMonitor(new NodeMonitorOptions { ProcRoot = _root, IncludeLoopback = false }, time);
        WriteProc(0, 0, 0, 0, rx: 500, tx: 700, 0, 0, 1, 1);
        time.Advance(TimeSpan.FromSeconds(0.5));

        var s = monitor.SampleNow();

        Assert.Equal(1000, s.NetIn, 1e-9);
        Assert.Equal(1400, s.NetOut, 1e-9);
    }

    [Fact]
    public void SampleNow_MissingProcFiles_NaNWithoutException()
    {
        var time = new ManualTimeProvider();
        using var monitor = new NodeMonitor(new NodeMonitorOptions { ProcRoot = Path.Combine(_root, "nothing-here") }, time);
        time.Advance(TimeSpan.FromSeconds(1));

        var s = monitor.SampleNow();

        foreach (var metric in MetricNames.All) Assert.True(double.IsNaN(s.Get(metric)), metric);
    }

    [Fact]
    public void SampleNow_MalformedProcFiles_NaNWithoutException()
    {
        Directory.CreateDirectory(Path.Combine(_root, "self"));
        File.WriteAllText(Path.Combine(_root, "self", "stat"), "garbage");
        File.WriteAllText(Path.Combine(_root, "stat"), "cpu x y z");
        File.WriteAllText(Path.Combine(_root, "meminfo"), "MemTotal: lots\n");
        var time = new ManualTimeProvider();
        using var monitor = new NodeMonitor(new NodeMonitorOptions { ProcRoot = _root }, time);
        time.Advance(TimeSpan.FromSeconds(1));

        var s = monitor.SampleNow();

        Assert.True(double.IsNaN(s.Cpu));
        Assert.True(double.IsNaN(s.NodeCpu));
        Assert.True(double.IsNaN(s.NodeMemory));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1500)]
    public void Constructor_IntervalOutOfRange_Throws(int ms)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new NodeMonitor(new NodeMonitorOptions { Interval = TimeSpan.FromMilliseconds(ms) }));
    }

    [Fact]
    public async Task Start_RealProc_SamplesThenStopsOnDispose()
    {
        int samples = 0;
        var seen = new TaskCompletionSource<MetricSample>(TaskCreationOptions.RunContinuationsAsynchronously);
        var monitor = new NodeMonitor(new NodeMonitorOptions { Interval = TimeSpan.FromMilliseconds(250) });
        monitor.Sampled += s =>
        {
            Interlocked.Increment(ref samples);
            seen.TrySetResult(s);
        };
        monitor.Start();

        var sample = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        monitor.Dispose();
        int after = Volatile.Read(ref samples);
        await Task.Delay(600);

        Assert.Equal(after, Volatile.Read(ref samples));
        if (OperatingSystem.IsLinux())
        {
            Assert.InRange(sample.Cpu, 0, 1);
            Assert.True(sample.MemoryBytes > 0);
        }
    }

    [Fact]
    public async Task Sampled_SubscriberThrows_MonitorKeepsSampling()
    {
        int calls = 0;
        var twice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var monitor = new NodeMonitor(new NodeMonitorOptions { Interval = TimeSpan.FromMilliseconds(250) });
        monitor.Sampled += _ =>
        {
            if (Interlocked.Increment(ref calls) >= 2) twice.TrySetResult();
            throw new InvalidOperationException("subscriber bug");
        };
        monitor.Start();

        await twice.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

public sealed class MetricHistoryTests
{
    [Fact]
    public void Add_BeyondCapacity_KeepsNewestOldestFirst()
    {
        var history = new MetricHistory(capacity: 3);
        for (int t = 0; t < 5; t++) history.Add("w0", MetricNames.Cpu, t, t / 10.0);

        var points = history.Snapshot("w0", MetricNames.Cpu);

        Assert.Equal([(2L, 0.2), (3L, 0.3), (4L, 0.4)], points);
    }

    [Fact]
    public void Add_Sample_StoresEveryMetricPerWorker()
    {
        var history = new MetricHistory();
        history.Add("w1", new MetricSample(7, 0.1, 0.2, 3, 0.4, 5, 6, 7, 8));

        Assert.Equal(MetricNames.All.Count, history.MetricsOf("w1").Count);
        Assert.True(history.TryGetLatest("w1", MetricNames.NetOut, out var time, out var value));
        Assert.Equal((7L, 6.0), (time, value));
        Assert.Empty(history.Snapshot("w2", MetricNames.Cpu));
    }

    [Fact]
    public void Remove_KnownWorker_ForgetsItsSeries()
    {
        var history = new MetricHistory();
        history.Add("a", MetricNames.Cpu, 1, 0.5);
        history.Add("b", MetricNames.Cpu, 1, 0.5);

        Assert.True(history.Remove("a"));

        Assert.Equal(["b"], history.Workers);
        Assert.Empty(history.Snapshot("a", MetricNames.Cpu));
    }

    [Fact]
    public void Add_ConcurrentWorkers_KeepsBoundPerSeries()
    {
        var history = new MetricHistory(capacity: 50);
        Parallel.For(0, 8, w =>
        {
            for (int t = 0; t < 1000; t++) history.Add("w" + w, MetricNames.Cpu, t, 0.5);
        });

        Assert.Equal(8, history.Workers.Count);
        Assert.All(history.Workers, w => Assert.Equal(50, history.Snapshot(w, MetricNames.Cpu).Length));
        Assert.Equal(999, history.Snapshot("w3", MetricNames.Cpu)[^1].TimeMs);
    }

    [Fact]
    public void Series_Indexer_OutOfRange_Throws()
    {
        var series = new MetricSeries(2);
        series.Add(1, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => series[1]);
    }
}

public sealed class TraceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("trace").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void WriteThenRead_PointsAndSamples_RoundTrip()
    {
        var path = Path.Combine(_dir, "t.csv");
        var sample = new MetricSample(1000, 0.1 / 3, 0.5, 123456789, 0.25, 1e9 / 7, 0, double.NaN, 3.5);
        using (var writer = new TraceWriter(path))
        {
            writer.Write(new TracePoint(5, "w0", "custom", Math.PI));
            writer.Write("w1", sample);
            Assert.False(File.Exists(path));
        }

        var points = TraceReader.ReadAll(path);

        Assert.Equal(1 + MetricNames.All.Count, points.Count);
        Assert.Equal(new TracePoint(5, "w0", "custom", Math.PI), points[0]);
        foreach (var p in points.Skip(1))
        {
            Assert.Equal(("w1", 1000L), (p.Worker, p.TimeMs));
            Assert.Equal(sample.Get(p.Metric), p.Value);
        }
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Theory]
    [InlineData("time_ms,worker,metric,value\n1,w0,cpu,0.5\n2,w0,cpu\n", 3)]
    [InlineData("time_ms,worker,metric,value\n1,w0,cpu,0.5\n\nx,w0,cpu,0.5\n", 4)]
    [InlineData("time_ms,worker,metric,value\n1,w0,cpu,high\n", 2)]
    [InlineData("time,worker,metric,value\n1,w0,cpu,0.5\n", 1)]
    [InlineData("time_ms,worker,metric,value\n1,,cpu,0.5\n", 2)]
    public void Read_MalformedLine_ThrowsWithPathAndLine(string text, int line)
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, text);

        var e = Assert.Throws<Dataflow.InputFormatException>(() => TraceReader.ReadAll(path));

        Assert.StartsWith($"{path}:{line}: ", e.Message);
    }

    [Fact]
    public void Read_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => TraceReader.ReadAll(Path.Combine(_dir, "none.csv")));
    }

    [Fact]
    public void Write_WorkerWithComma_Throws()
    {
        using var writer = new TraceWriter(Path.Combine(_dir, "c.csv"));
        Assert.Throws<ArgumentException>(() => writer.Write(new TracePoint(1, "a,b", "cpu", 1)));
    }
}
