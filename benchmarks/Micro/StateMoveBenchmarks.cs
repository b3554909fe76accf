using System.Net;
using BenchmarkDotNet.Attributes;
using Dataflow.Cluster;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Benchmarks.Micro;

/// <summary>
/// What a move of iteration state between processes costs: writing and reading a frozen join index
/// (a PageRank-like adjacency of 2 M edges over 200 K vertices), and a 40 MiB blob over loopback
/// between two data planes (moved here from tests that printed the same figures).
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class StateMoveBenchmarks
{
    private const int Vertices = 200_000, Edges = 2_000_000;
    private readonly ByteWriter _writer = new(1 << 20);
    private HashMultiMap<int, (int, int)> _map = null!;
    private byte[] _written = [];
    private byte[] _blob = [];
    private DataPlane _from = null!, _to = null!;
    private long _tag;

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(5);
        _map = new HashMultiMap<int, (int, int)>(Edges);
        for (int i = 0; i < Edges; i++) _map.Add(r.Next(Vertices), (r.Next(Vertices), i));
        _map.Freeze();
        _writer.Clear();
        _map.WriteTo(_writer, Serializers.Get<int>(), Serializers.Get<(int, int)>());
        _written = _writer.WrittenSpan.ToArray();
        _blob = new byte[40 << 20];
        r.NextBytes(_blob);
        byte[] secret = new byte[32];
        _from = new DataPlane(new IPEndPoint(IPAddress.Loopback, 0), secret);
        _to = new DataPlane(new IPEndPoint(IPAddress.Loopback, 0), secret);
        _from.Start();
        _to.Start();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _from.DisposeAsync();
        await _to.DisposeAsync();
    }

    [Benchmark]
    public int WriteJoinIndex()
    {
        _writer.Clear();
        _map.WriteTo(_writer, Serializers.Get<int>(), Serializers.Get<(int, int)>());
        return _writer.Length;
    }

    [Benchmark]
    public int ReadJoinIndex() => HashMultiMap<int, (int, int)>.ReadFrom(new ByteReader(_written), Serializers.Get<int>(), Serializers.Get<(int, int)>()).Count;

    [Benchmark]
    public async Task<int> SendFortyMebibyteBlob()
    {
        long tag = ++_tag;
        var receive = _to.ReceiveBlobAsync(1, tag, 0, CancellationToken.None);
        await _from.SendBlobAsync(_to.EndPoint, 1, tag, 0, _blob, CancellationToken.None);
        return (await receive).Length;
    }
}
