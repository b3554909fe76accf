using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Field = Apache.Arrow.Field;

namespace Dataflow.Operators.Columnar;

/// <summary>Arrow and Parquet descriptions of a value type.</summary>
internal abstract class ValueKind<TV> where TV : struct
{
    public static readonly ValueKind<TV> Instance = Create();

    public abstract IArrowType ArrowType { get; }

    public abstract TV? Get(IArrowArray array, int index);

    public abstract IArrowArray Build(ReadOnlySpan<TV?> values);

    public virtual DataField ParquetField(string name, bool nullable) => new(name, typeof(TV), nullable);

    public virtual double ToDouble(TV value) => throw new NotSupportedException();

    /// <summary>Adjusts values before Parquet.Net encodes them (in the sink's own buffer).</summary>
    public virtual void BeforeParquet(Span<TV> values)
    {
    }

    /// <summary>Adjusts values before Parquet.Net encodes them (in the sink's own buffer).</summary>
    public virtual void BeforeParquet(Span<TV?> values)
    {
    }

    public virtual bool IsNumeric => false;

    private static ValueKind<TV> Create()
    {
        object kind = typeof(TV) switch
        {
            var t when t == typeof(int) => new Int32Kind(),
            var t when t == typeof(long) => new Int64Kind(),
            var t when t == typeof(float) => new FloatKind(),
            var t when t == typeof(double) => new DoubleKind(),
            var t when t == typeof(bool) => new BoolKind(),
            var t when t == typeof(DateTime) => new DateTimeKind(),
            var t when t == typeof(decimal) => new DecimalKind(),
            _ => throw new NotSupportedException($"{typeof(TV)} is not a supported column type"),
        };
        return (ValueKind<TV>)kind;
    }
}

internal sealed class Int32Kind : ValueKind<int>
{
    public override IArrowType ArrowType => Int32Type.Default;
    public override int? Get(IArrowArray array, int index) => ((Int32Array)array).GetValue(index);
    public override IArrowArray Build(ReadOnlySpan<int?> values) => Primitive<int, Int32Array, Int32Array.Builder>(new Int32Array.Builder(), values);
    public override double ToDouble(int value) => value;
    public override bool IsNumeric => true;

    internal static TArray Primitive<T, TArray, TBuilder>(TBuilder builder, ReadOnlySpan<T?> values)
        where T : struct, IEquatable<T>
        where TArray : IArrowArray
        where TBuilder : PrimitiveArrayBuilder<T, TArray, TBuilder>
    {
        builder.Reserve(values.Length);
        foreach (var v in values)
        {
            if (v is T x) builder.Append(x);
            else builder.AppendNull();
        }
        return builder.Build();
    }
}

internal sealed class Int64Kind : ValueKind<long>
{
    public override IArrowType ArrowType => Int64Type.Default;
    public override long? Get(IArrowArray array, int index) => ((Int64Array)array).GetValue(index);
    public override IArrowArray Build(ReadOnlySpan<long?> values) => Int32Kind.Primitive<long, Int64Array, Int64Array.Builder>(new Int64Array.Builder(), values);
    public override double ToDouble(long value) => value;
    public override bool IsNumeric => true;
}

internal sealed class FloatKind : ValueKind<float>
{
    public override IArrowType ArrowType => FloatType.Default;
    public override float? Get(IArrowArray array, int index) => ((FloatArray)array).GetValue(index);
    public override IArrowArray Build(ReadOnlySpan<float?> values) => Int32Kind.Primitive<float, FloatArray, FloatArray.Builder>(new FloatArray.Builder(), values);
    public override double ToDouble(float value) => value;
    public override bool IsNumeric => true;
}

internal sealed class DoubleKind : ValueKind<double>
{
    public override IArrowType ArrowType => DoubleType.Default;
    public override double? Get(IArrowArray array, int index) => ((DoubleArray)array).GetValue(index);
    public override IArrowArray Build(ReadOnlySpan<double?> values) => Int32Kind.Primitive<double, DoubleArray, DoubleArray.Builder>(new DoubleArray.Builder(), values);
    public override double ToDouble(double value) => value;
    public override bool IsNumeric => true;
}

internal sealed class BoolKind : ValueKind<bool>
{
    public override IArrowType ArrowType => BooleanType.Default;
    public override bool? Get(IArrowArray array, int index) => ((BooleanArray)array).GetValue(index);

    public override IArrowArray Build(ReadOnlySpan<bool?> values)
    {
        var b = new BooleanArray.Builder();
        b.Reserve(values.Length);
        foreach (var v in values)
        {
            if (v is bool x) b.Append(x);
            else b.AppendNull();
        }
        return b.Build();
    }
}

/// <summary>
/// <c>DateTime</c> is a UTC timestamp in microseconds in both formats: nanoseconds would not reach
/// <c>DateTime.MinValue</c>, and one unit for both keeps Parquet and Arrow files interchangeable.
/// </summary>
internal sealed class DateTimeKind : ValueKind<DateTime>
{
    private static readonly TimestampType Type = new(TimeUnit.Microsecond, "UTC");

    public override IArrowType ArrowType => Type;

    public override DateTime? Get(IArrowArray array, int index)
    {
        var a = (TimestampArray)array;
        if (a.IsNull(index)) return null;
        return DateTime.UnixEpoch.AddTicks(a.GetValue(index)!.Value * TimeSpan.TicksPerMicrosecond);
    }

    public override IArrowArray Build(ReadOnlySpan<DateTime?> values)
    {
        var b = new TimestampArray.Builder(Type);
        b.Reserve(values.Length);
        foreach (var v in values)
        {
            if (v is DateTime x) b.Append(new DateTimeOffset(DateTime.SpecifyKind(x, System.DateTimeKind.Utc)));
            else b.AppendNull();
        }
        return b.Build();
    }

    // Ticks are stored as they are, whatever the kind, as the Arrow path does (no conversion from local time).
    public override void BeforeParquet(Span<DateTime> values)
    {
        foreach (ref var v in values) v = DateTime.SpecifyKind(v, System.DateTimeKind.Utc);
    }

    public override void BeforeParquet(Span<DateTime?> values)
    {
        foreach (ref var v in values) if (v is DateTime x) v = DateTime.SpecifyKind(x, System.DateTimeKind.Utc);
    }

    public override DataField ParquetField(string name, bool nullable) =>
        new DateTimeDataField(name, DateTimeFormat.DateAndTimeMicros, isAdjustedToUTC: true, isNullable: nullable);
}

/// <summary><c>decimal</c> as DECIMAL(38, 18), Parquet.Net's default: 20 integer and 18 fraction digits.</summary>
internal sealed class DecimalKind : ValueKind<decimal>
{
    public const int Precision = 38, Scale = 18;
    private static readonly Decimal128Type Type = new(Precision, Scale);

    public override IArrowType ArrowType => Type;
    public override decimal? Get(IArrowArray array, int index) => ((Decimal128Array)array).GetValue(index);

    public override IArrowArray Build(ReadOnlySpan<decimal?> values)
    {
        var b = new Decimal128Array.Builder(Type);
        b.Reserve(values.Length);
        foreach (var v in values)
        {
            if (v is decimal x) b.Append(x);
            else b.AppendNull();
        }
        return b.Build();
    }

    public override DataField ParquetField(string name, bool nullable) =>
        new DecimalDataField(name, Precision, Scale, isNullable: nullable);
}
