using BenchmarkDotNet.Attributes;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Benchmarks.Micro;

/// <summary>Per-record cost of (de)serializing a 1 024-record batch: unmanaged structs (one block copy) and tuples with strings (compiled expression trees).</summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SerializerBenchmarks
{
    private const int N = 1024;
    private readonly ByteWriter _writer = new(1 << 16);
    private (long, double)[] _structs = [];
    private (string, long)[] _tuples = [];
    private byte[] _structBytes = [];
    private byte[] _tupleBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        _structs = Enumerable.Range(0, N).Select(i => ((long)i, rng.NextDouble())).ToArray();
        _tuples = Enumerable.Range(0, N).Select(i => ($"word{rng.Next(10000)}", (long)i)).ToArray();
        _writer.Clear();
        Serializers.Get<(long, double)>().WriteBatch(_writer, _structs);
        _structBytes = _writer.WrittenSpan.ToArray();
        _writer.Clear();
        Serializers.Get<(string, long)>().WriteBatch(_writer, _tuples);
        _tupleBytes = _writer.WrittenSpan.ToArray();
    }

    [Benchmark(OperationsPerInvoke = N)]
    public int WriteUnmanagedBatch()
    {
        _writer.Clear();
        Serializers.Get<(long, double)>().WriteBatch(_writer, _structs);
        return _writer.Length;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public int ReadUnmanagedBatch() => Serializers.Get<(long, double)>().ReadBatch(new ByteReader(_structBytes)).Length;

    [Benchmark(OperationsPerInvoke = N)]
    public int WriteTupleWithStringBatch()
    {
        _writer.Clear();
        Serializers.Get<(string, long)>().WriteBatch(_writer, _tuples);
        return _writer.Length;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public int ReadTupleWithStringBatch() => Serializers.Get<(string, long)>().ReadBatch(new ByteReader(_tupleBytes)).Length;
}
