using BenchmarkDotNet.Attributes;
using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Operators.Join;
using Dataflow.Runtime.Exchange;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Benchmarks.Micro;

/// <summary>A collector that only counts, so a benchmark measures the operator in front of it.</summary>
internal sealed class NullCollector<T> : Collector<T>
{
    public long Count;

    public override void Push(ReadOnlySpan<T> batch) => Count += batch.Length;

    public override void Close()
    {
    }
}

/// <summary>Per-record cost of partitioning, aggregation and joins on value-type records (1 M records per operation).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class HotPathBenchmarks
{
    private const int N = 1 << 20;
    private (long Key, double Value)[] _records = [];
    private (long Src, long Dst)[] _edges = [];
    private long[] _probe = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _records = Enumerable.Range(0, N).Select(_ => ((long)rng.Next(1 << 16), rng.NextDouble())).ToArray();
        _edges = Enumerable.Range(0, N).Select(_ => ((long)rng.Next(1 << 16), (long)rng.Next(1 << 16))).ToArray();
        _probe = Enumerable.Range(0, 1 << 16).Select(i => (long)i).ToArray();
    }

    private static OperatorInfo Info => new("bench", 0, 1024);

    /// <summary>Hash partitioning into 4 consumer queues (drained by this thread after each batch).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public long Partitioner_Hash4()
    {
        var abort = new JobAbort();
        var queues = Enumerable.Range(0, 4).Select(_ => new InputQueue(1 << 12, abort)).ToArray();
        var output = new HashOutput<(long Key, double Value), long>(
            new ExchangeTargets(queues, 0, 0, 1024, new SubtaskMetrics(), 128), static r => r.Key, "bench");
        long taken = 0, waited = 0;
        for (int i = 0; i < N; i += 1024)
        {
            output.Push(_records.AsSpan(i, 1024));
            foreach (var q in queues)
            {
                foreach (var e in q.Drain())
                {
                    taken += e.Count;
                    if (e.Items is (long, double)[] a) ExchangeOutput<(long, double)>.Return(a, e.Count);
                }
            }
        }
        output.Close();
        _ = waited;
        return taken;
    }

    /// <summary>Combinable sum per key into an open-addressing table (65 536 keys).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public long HashAggregate_Sum()
    {
        var sink = new NullCollector<(long, double)>();
        var op = new HashAggregateOperator<(long Key, double Value), long, double, (long, double)>(
            static r => r.Key, static r => r.Value, static (a, r) => a + r.Value, static (k, a) => (k, a), sink, Info);
        op.Push(_records);
        op.Close();
        return sink.Count;
    }

    /// <summary>Building a join's adjacency index from 1 M edges and freezing it.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public int JoinBuild_Freeze()
    {
        var sink = new NullCollector<long>();
        var op = new HashJoinOperator<long, (long Src, long Dst), long, long>(static p => p, static e => e.Src, static (p, e) => e.Dst, false, sink, Info);
        op.Build.Push(_edges);
        op.Build.Close();
        op.Probe.Close();
        return (int)sink.Count;
    }

    /// <summary>Probing a frozen index with every key once (1 M matches per operation).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public long JoinProbe()
    {
        var sink = new NullCollector<long>();
        var op = new HashJoinOperator<long, (long Src, long Dst), long, long>(static p => p, static e => e.Src, static (p, e) => e.Dst, false, sink, Info);
        op.Build.Push(_edges);
        op.Build.Close();
        op.Probe.Push(_probe);
        op.Probe.Close();
        return sink.Count;
    }

    /// <summary>Batch hand-off between two threads through a bounded input queue (1 024-record batches).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public long BatchHandOff_TwoThreads()
    {
        var queue = new InputQueue(16, new JobAbort());
        var batch = new (long, double)[1024];
        var producer = new Thread(() =>
        {
            for (int i = 0; i < N; i += 1024) queue.Put(new Envelope(0, batch, 1024));
            queue.Put(Envelope.End(0));
        });
        producer.Start();
        long received = 0, waited = 0;
        while (true)
        {
            var e = queue.Take(ref waited);
            if (e.IsEnd) break;
            received += e.Count;
        }
        producer.Join();
        return received;
    }
}
