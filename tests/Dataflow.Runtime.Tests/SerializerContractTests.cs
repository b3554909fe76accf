using Dataflow.Runtime.Serialization;

namespace Dataflow.Runtime.Tests;

/// <summary>The contract every serializer meets; one subclass per kind of type.</summary>
public abstract class SerializerContract<T>
{
    protected abstract T Generate(Random rng);

    protected virtual void AssertSame(T expected, T actual) => Assert.Equal(expected, actual);

    protected virtual Serializer<T> Serializer => Serializers.Get<T>();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WriteRead_RandomValues_RoundTrip(int seed)
    {
        var rng = new Random(seed);
        var values = Enumerable.Range(0, 200).Select(_ => Generate(rng)).ToArray();
        var w = new ByteWriter(16);
        foreach (var v in values) Serializer.Write(w, v);
        var r = new ByteReader(w.WrittenMemory);
        foreach (var v in values) AssertSame(v, Serializer.Read(r));
        Assert.Equal(0, r.Remaining);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void WriteBatchReadBatch_RandomBatch_RoundTrip(int count)
    {
        var rng = new Random(count);
        var values = Enumerable.Range(0, count).Select(_ => Generate(rng)).ToArray();
        var w = new ByteWriter();
        Serializer.WriteBatch(w, values);
        var back = Serializer.ReadBatch(new ByteReader(w.WrittenMemory));
        Assert.Equal(values.Length, back.Length);
        for (int i = 0; i < values.Length; i++) AssertSame(values[i], back[i]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(1024)]
    public void WriteBatchReadBatchPooled_RandomBatch_RoundTripsIntoAPooledArray(int count)
    {
        var rng = new Random(count + 17);
        var values = Enumerable.Range(0, count).Select(_ => Generate(rng)).ToArray();
        var codec = BatchCodec.For<T>();
        var w = new ByteWriter();
        codec.Write(w, values, values.Length);
        var reader = new ByteReader(w.WrittenMemory);
        int n = codec.Read(reader, out var items);
        Assert.Equal(0, reader.Remaining);
        Assert.Equal(values.Length, n);
        Assert.True(items.Length >= n);
        for (int i = 0; i < n; i++) AssertSame(values[i], ((T[])items)[i]);
        codec.Return(items, n); // the array came from the shared pool: returning it must be accepted
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    public void ReadBatchIntoList_ListWithRecords_AppendsTheBatchAfterThem(int count)
    {
        var rng = new Random(count + 5);
        var before = Enumerable.Range(0, 3).Select(_ => Generate(rng)).ToList();
        var values = Enumerable.Range(0, count).Select(_ => Generate(rng)).ToArray();
        var w = new ByteWriter(8);
        Serializer.WriteBatch(w, values);
        Serializer.WriteBatch(w, values.Take(2).ToArray());
        var reader = new ByteReader(w.WrittenMemory);
        var into = new List<T>(before);
        Assert.Equal(count, Serializer.ReadBatch(reader, into));
        Assert.Equal(Math.Min(count, 2), Serializer.ReadBatch(reader, into));
        Assert.Equal(0, reader.Remaining);
        var expected = before.Concat(values).Concat(values.Take(2)).ToList();
        Assert.Equal(expected.Count, into.Count);
        for (int i = 0; i < expected.Count; i++) AssertSame(expected[i], into[i]);
    }

    [Fact]
    public void ReadBatchIntoList_EveryTruncation_ThrowsSerializationException()
    {
        var rng = new Random(9);
        var values = Enumerable.Range(0, 20).Select(_ => Generate(rng)).ToArray();
        var w = new ByteWriter();
        Serializer.WriteBatch(w, values);
        var bytes = w.WrittenMemory;
        var before = Enumerable.Range(0, 3).Select(_ => Generate(rng)).ToList();
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            var into = new List<T>(before);
            Assert.Throws<SerializationException>(() => Serializer.ReadBatch(new ByteReader(bytes[..cut]), into));
            // A batch reads in whole or not at all.
            Assert.Equal(before.Count, into.Count);
            for (int i = 0; i < before.Count; i++) AssertSame(before[i], into[i]);
        }
    }

    [Fact]
    public void ReadBatch_EveryTruncation_ThrowsSerializationException()
    {
        var rng = new Random(7);
        var values = Enumerable.Range(0, 20).Select(_ => Generate(rng)).ToArray();
        var w = new ByteWriter();
        Serializer.WriteBatch(w, values);
        var bytes = w.WrittenMemory;
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Throws<SerializationException>(() => Serializer.ReadBatch(new ByteReader(bytes[..cut])));
        }
    }
}

public readonly record struct Point3(double X, double Y, double Z);

public sealed record Person(string Name, int Age, string[]? Tags);

public sealed class Settable
{
    public string? Label { get; set; }

    public List<long> Values { get; set; } = new();
}

public readonly record struct Money(long Cents);

public sealed class MoneySerializer : Serializer<Money>
{
    public int Writes;

    public override void Write(ByteWriter writer, Money value)
    {
        Writes++;
        writer.WriteVarint((ulong)value.Cents);
    }

    public override Money Read(ByteReader reader) => new((long)reader.ReadVarint());
}

internal static class Gen
{
    public static string? Text(Random r) => r.Next(10) == 0 ? null : new string(Enumerable.Range(0, r.Next(12)).Select(_ => r.Next(4) == 0 ? 'é' : (char)('a' + r.Next(26))).ToArray());
}

public class Int32SerializerTests : SerializerContract<int>
{
    protected override int Generate(Random rng) => rng.Next(int.MinValue, int.MaxValue);
}

public class DoubleSerializerTests : SerializerContract<double>
{
    protected override double Generate(Random rng) => rng.Next(20) == 0 ? double.NaN : (rng.NextDouble() - 0.5) * 1e300;
}

public class UnmanagedStructSerializerTests : SerializerContract<Point3>
{
    protected override Point3 Generate(Random rng) => new(rng.NextDouble(), -rng.NextDouble(), rng.Next());
}

public class UnmanagedTupleSerializerTests : SerializerContract<(long, double, bool)>
{
    protected override (long, double, bool) Generate(Random rng) => (rng.NextInt64(), rng.NextDouble(), rng.Next(2) == 0);
}

public class StringSerializerTests : SerializerContract<string>
{
    protected override string Generate(Random rng) => Gen.Text(rng)!;
}

public class DoubleArraySerializerTests : SerializerContract<double[]>
{
    protected override double[] Generate(Random rng) => rng.Next(8) == 0 ? null! : Enumerable.Range(0, rng.Next(9)).Select(_ => rng.NextDouble()).ToArray();
}

public class StringArraySerializerTests : SerializerContract<string?[]>
{
    protected override string?[] Generate(Random rng) => Enumerable.Range(0, rng.Next(5)).Select(_ => Gen.Text(rng)).ToArray();
}

public class NullableSerializerTests : SerializerContract<int?>
{
    protected override int? Generate(Random rng) => rng.Next(3) == 0 ? null : rng.Next();
}

public class ReferenceTupleSerializerTests : SerializerContract<(string? Word, long Count)>
{
    protected override (string? Word, long Count) Generate(Random rng) => (Gen.Text(rng), rng.NextInt64());
}

public class LongTupleSerializerTests : SerializerContract<(int, string?, int, int, int, int, int, string?, long)>
{
    protected override (int, string?, int, int, int, int, int, string?, long) Generate(Random rng) =>
        (rng.Next(), Gen.Text(rng), 3, 4, 5, 6, 7, Gen.Text(rng), rng.NextInt64());
}

public class RecordSerializerTests : SerializerContract<Person>
{
    protected override Person Generate(Random rng) =>
        rng.Next(10) == 0 ? null! : new Person(Gen.Text(rng) ?? "", rng.Next(100), rng.Next(3) == 0 ? null : [Gen.Text(rng) ?? "x"]);

    protected override void AssertSame(Person expected, Person actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Age, actual.Age);
        Assert.Equal(expected.Tags, actual.Tags);
    }
}

public class SettableClassSerializerTests : SerializerContract<Settable>
{
    protected override Settable Generate(Random rng) => new() { Label = Gen.Text(rng), Values = Enumerable.Range(0, rng.Next(4)).Select(_ => rng.NextInt64()).ToList() };

    protected override void AssertSame(Settable expected, Settable actual)
    {
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Values, actual.Values);
    }
}

public class RegisteredSerializerTests : SerializerContract<Money>
{
    private static readonly MoneySerializer s_serializer = Register();

    private static MoneySerializer Register()
    {
        var s = new MoneySerializer();
        Serializers.Register(s);
        return s;
    }

    protected override Serializer<Money> Serializer => s_serializer;

    protected override Money Generate(Random rng) => new(rng.NextInt64(0, long.MaxValue));

    [Fact]
    public void Get_RegisteredType_ReturnsTheUserSerializer()
    {
        Assert.Same(s_serializer, Serializers.Get<Money>());
        int before = s_serializer.Writes;
        Serializers.Get<Money>().Write(new ByteWriter(), new Money(5));
        Assert.Equal(before + 1, s_serializer.Writes);
    }
}

public class SerializersTests
{
    [Fact]
    public void Get_UnmanagedStruct_WritesRawBytesAsOneBlock()
    {
        var w = new ByteWriter();
        Serializers.Get<Point3>().WriteBatch(w, new Point3[] { new(1, 2, 3), new(4, 5, 6) });
        Assert.Equal(1 + 2 * 24, w.Length);
        Assert.IsType<UnmanagedSerializer<Point3>>(Serializers.Get<Point3>());
    }

    [Fact]
    public void ReadLength_HugeLengthPrefix_ThrowsInsteadOfAllocating()
    {
        var w = new ByteWriter();
        w.WriteVarint(int.MaxValue);
        Assert.Throws<SerializationException>(() => Serializers.Get<string[]>().ReadBatch(new ByteReader(w.WrittenMemory)));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0x7FUL)]
    [InlineData(0x80UL)]
    [InlineData(0x3FFFUL)]
    [InlineData(0x4000UL)]
    [InlineData(uint.MaxValue)]
    [InlineData(ulong.MaxValue)]
    public void WriteVarintReadVarint_AtEveryBufferFill_RoundTrip(ulong value)
    {
        // The one-byte fast path and the long path, with the buffer full, nearly full and roomy.
        for (int filler = 0; filler < 40; filler++)
        {
            var w = new ByteWriter(8); // grows at 16 (its smallest capacity) and 32
            for (int i = 0; i < filler; i++) w.Write<byte>(0xAA);
            w.WriteVarint(value);
            w.WriteVarint(value);
            var r = new ByteReader(w.WrittenMemory);
            Assert.Equal(filler + 2 * VarintBytes(value), w.Length);
            _ = r.ReadBytes(filler);
            Assert.Equal(value, r.ReadVarint());
            Assert.Equal(value, r.ReadVarint());
            Assert.Equal(0, r.Remaining);
        }
    }

    [Fact]
    public void ReadVarint_TruncatedOrTooLong_ThrowsSerializationException()
    {
        Assert.Throws<SerializationException>(() => new ByteReader(Array.Empty<byte>()).ReadVarint());
        Assert.Throws<SerializationException>(() => new ByteReader(new byte[] { 0x80, 0x80 }).ReadVarint());
        Assert.Throws<SerializationException>(() => new ByteReader(Enumerable.Repeat((byte)0xFF, 11).ToArray()).ReadVarint());
    }

    private static int VarintBytes(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    [Fact]
    public void Register_AfterFirstUse_Throws()
    {
        _ = Serializers.Get<(short, string)>();
        Assert.Throws<InvalidOperationException>(() => Serializers.Register(new ObjectSerializer<(short, string)>()));
    }
}
