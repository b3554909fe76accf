using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Tests;

public class HashAggregateOperatorTests
{
    [Theory]
    [InlineData(0, 1000, false)]        // dense all the way
    [InlineData(0, 5_000_000, false)]   // keys beyond the dense range: switches to hashing mid-batch
    [InlineData(-50, 50, false)]        // negative keys switch at once
    [InlineData(0, 1000, true)]         // int keys
    public void Push_IntegerKeys_SumsEqualLinqAcrossDenseAndHashModes(long min, long max, bool intKeys)
    {
        var rng = new Random(3);
        var records = Enumerable.Range(0, 20_000).Select(_ => (Key: rng.NextInt64(min, max) * (rng.Next(50) == 0 ? 1 : 1), Value: (long)rng.Next(100))).ToArray();
        var expected = records.GroupBy(r => r.Key).Select(g => (g.Key, g.Sum(r => r.Value))).Order().ToList();
        List<(long, long)> actual;
        if (intKeys)
        {
            var sink = new ListCollector<(int, long)>();
            var op = new HashAggregateOperator<(long Key, long Value), int, long, (int, long)>(
                r => (int)r.Key, r => r.Value, (a, r) => a + r.Value, (k, a) => (k, a), sink, new OperatorInfo("agg", 0, 100));
            for (int i = 0; i < records.Length; i += 777) op.Push(records.AsSpan(i, Math.Min(777, records.Length - i)));
            op.Close();
            Assert.True(sink.Closed);
            actual = sink.Items.Select(x => ((long)x.Item1, x.Item2)).Order().ToList();
        }
        else
        {
            var sink = new ListCollector<(long, long)>();
            var op = new HashAggregateOperator<(long Key, long Value), long, long, (long, long)>(
                r => r.Key, r => r.Value, (a, r) => a + r.Value, (k, a) => (k, a), sink, new OperatorInfo("agg", 0, 100));
            for (int i = 0; i < records.Length; i += 777) op.Push(records.AsSpan(i, Math.Min(777, records.Length - i)));
            op.Close();
            actual = sink.Items.Order().ToList();
        }
        Assert.Equal(expected, actual);
    }
}
