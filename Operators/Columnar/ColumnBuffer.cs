using Apache.Arrow;
using Apache.Arrow.Types;
using Parquet;
using Parquet.Schema;
using Field = Apache.Arrow.Field;

namespace Dataflow.Operators.Columnar;

/// <summary>
/// One column of a batch of records as a typed array of the member's own type (<c>int</c>, <c>int?</c>,
/// <c>string</c>, ...). Virtual calls happen once per column and row group or record batch; the values
/// move as typed arrays, never boxed.
/// </summary>
public abstract class ColumnBuffer
{
    /// <summary>The CLR type of the member this column maps to (nullable for an optional value).</summary>
    public abstract Type MemberType { get; }

    /// <summary>The value type without <see cref="Nullable{T}"/> (the column's type in messages).</summary>
    public Type ValueType => Nullable.GetUnderlyingType(MemberType) ?? MemberType;

    /// <summary>Grows the array to hold at least <paramref name="rows"/> values.</summary>
    public abstract void EnsureCapacity(int rows);

    /// <summary>The Parquet field a writer declares for this column.</summary>
    public abstract DataField ParquetField(string name);

    /// <summary>The Arrow field a writer declares for this column.</summary>
    public abstract Field ArrowField(string name);

    /// <summary>True when a Parquet column of this CLR type can be read into this buffer.</summary>
    public bool Accepts(DataField field) => !field.IsArray && ClrTypeOf(field) == ValueType;

    /// <summary>
    /// The CLR type a Parquet column holds: Parquet.Net 6 reports text and binary columns of a file it
    /// reads as <c>ReadOnlyMemory</c> of chars or bytes; they are <c>string</c> and <c>byte[]</c> here.
    /// </summary>
    public static Type ClrTypeOf(DataField field) =>
        field.ClrType == typeof(ReadOnlyMemory<char>) ? typeof(string)
        : field.ClrType == typeof(ReadOnlyMemory<byte>) ? typeof(byte[])
        : field.ClrType;

    /// <summary>True when an Arrow column of this type can be read into this buffer.</summary>
    public abstract bool Accepts(IArrowType type);

    /// <summary>The name of the Arrow type this buffer reads and writes (for messages).</summary>
    public abstract string ArrowTypeName { get; }

    /// <summary>Reads <paramref name="rows"/> values of <paramref name="field"/> from a row group.</summary>
    /// <exception cref="InvalidDataException">A null in a column read into a non-nullable member.</exception>
    public abstract Task ReadParquetAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, string path);

    /// <summary>Writes the first <paramref name="rows"/> values as <paramref name="field"/> of a row group.</summary>
    public abstract Task WriteParquetAsync(ParquetRowGroupWriter rowGroup, DataField field, int rows);

    /// <summary>Copies the values of an Arrow array of <paramref name="rows"/> values.</summary>
    /// <exception cref="InvalidDataException">A null in a column read into a non-nullable member.</exception>
    public abstract void ReadArrow(IArrowArray array, int rows, string path, string column);

    /// <summary>The first <paramref name="rows"/> values as an Arrow array.</summary>
    public abstract IArrowArray BuildArrow(int rows);

    /// <summary>Stores column <paramref name="column"/> of the first <paramref name="rows"/> vectors (numeric columns only).</summary>
    public virtual void CopyToDoubles(double[][] vectors, int column, int rows, string path, string name) =>
        throw new InvalidDataException($"{path}: column '{name}' has type {ValueType.Name}; only numeric columns are read as vectors");

    /// <summary>The buffer of a member of <paramref name="memberType"/>, or null when the type is not supported.</summary>
    public static ColumnBuffer? For(Type memberType)
    {
        if (memberType == typeof(string)) return new StringColumn();
        if (memberType == typeof(byte[])) return new BinaryColumn();
        var underlying = Nullable.GetUnderlyingType(memberType);
        var value = underlying ?? memberType;
        if (!Supported.Contains(value)) return null;
        var type = (underlying is null ? typeof(RequiredColumn<>) : typeof(OptionalColumn<>)).MakeGenericType(value);
        return (ColumnBuffer)Activator.CreateInstance(type)!;
    }

    /// <summary>The value types a member may have (also as <see cref="Nullable{T}"/>), besides <c>string</c> and <c>byte[]</c>.</summary>
    public static readonly IReadOnlyList<Type> Supported =
        [typeof(int), typeof(long), typeof(float), typeof(double), typeof(bool), typeof(DateTime), typeof(decimal)];

    internal static InvalidDataException NullIn(string path, string column) =>
        new($"{path}: column '{column}' has a null, but the member it maps to is not nullable (use a nullable type)");
}

/// <summary>A buffer whose values are an array of <typeparamref name="TMember"/>.</summary>
public abstract class ColumnBuffer<TMember> : ColumnBuffer
{
    /// <summary>The values; the first rows of a batch are valid.</summary>
#pragma warning disable CA1051, CA1819 // a field so that compiled accessors reach the array directly
    public TMember[] Data = [];
#pragma warning restore CA1051, CA1819

    /// <inheritdoc />
    public sealed override Type MemberType => typeof(TMember);

    /// <inheritdoc />
    public sealed override void EnsureCapacity(int rows)
    {
        if (Data.Length < rows) Data = new TMember[Math.Max(rows, Data.Length * 2)];
    }
}

/// <summary>A non-nullable value member: a null in the file is an error.</summary>
public sealed class RequiredColumn<TV> : ColumnBuffer<TV> where TV : struct
{
    private TV?[] _scratch = [];

    /// <inheritdoc />
    public override string ArrowTypeName => ValueKind<TV>.Instance.ArrowType.Name;

    /// <inheritdoc />
    public override DataField ParquetField(string name) => ValueKind<TV>.Instance.ParquetField(name, nullable: false);

    /// <inheritdoc />
    public override Field ArrowField(string name) => new(name, ValueKind<TV>.Instance.ArrowType, nullable: false);

    /// <inheritdoc />
    public override bool Accepts(IArrowType type) => SameArrowType(type, ValueKind<TV>.Instance.ArrowType);

    internal static bool SameArrowType(IArrowType found, IArrowType expected) =>
        found.TypeId == expected.TypeId && (found is not TimestampType ts || ts.Unit == ((TimestampType)expected).Unit);

    /// <inheritdoc />
    public override async Task ReadParquetAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, string path)
    {
        EnsureCapacity(rows);
        if (!field.IsNullable)
        {
            await rowGroup.ReadAsync<TV>(field, Data.AsMemory(0, rows)).ConfigureAwait(false);
            return;
        }
        // Writers such as pyarrow declare every column optional: accept it while it holds no null.
        if (_scratch.Length < rows) _scratch = new TV?[Data.Length];
        await rowGroup.ReadAsync<TV>(field, _scratch.AsMemory(0, rows)).ConfigureAwait(false);
        for (int i = 0; i < rows; i++)
        {
            Data[i] = _scratch[i] ?? throw NullIn(path, field.Name);
        }
    }

    /// <inheritdoc />
    public override Task WriteParquetAsync(ParquetRowGroupWriter rowGroup, DataField field, int rows)
    {
        ValueKind<TV>.Instance.BeforeParquet(Data.AsSpan(0, rows));
        return rowGroup.WriteAsync<TV>(field, new ReadOnlyMemory<TV>(Data, 0, rows));
    }

    /// <inheritdoc />
    public override void ReadArrow(IArrowArray array, int rows, string path, string column)
    {
        EnsureCapacity(rows);
        var kind = ValueKind<TV>.Instance;
        for (int i = 0; i < rows; i++) Data[i] = kind.Get(array, i) ?? throw NullIn(path, column);
    }

    /// <inheritdoc />
    public override IArrowArray BuildArrow(int rows)
    {
        if (_scratch.Length < rows) _scratch = new TV?[Data.Length];
        for (int i = 0; i < rows; i++) _scratch[i] = Data[i];
        return ValueKind<TV>.Instance.Build(_scratch.AsSpan(0, rows));
    }

    /// <inheritdoc />
    public override void CopyToDoubles(double[][] vectors, int column, int rows, string path, string name)
    {
        var kind = ValueKind<TV>.Instance;
        if (!kind.IsNumeric) base.CopyToDoubles(vectors, column, rows, path, name);
        for (int i = 0; i < rows; i++) vectors[i][column] = kind.ToDouble(Data[i]);
    }
}

/// <summary>A nullable value member.</summary>
public sealed class OptionalColumn<TV> : ColumnBuffer<TV?> where TV : struct
{
    private TV[] _scratch = [];

    /// <inheritdoc />
    public override string ArrowTypeName => ValueKind<TV>.Instance.ArrowType.Name;

    /// <inheritdoc />
    public override DataField ParquetField(string name) => ValueKind<TV>.Instance.ParquetField(name, nullable: true);

    /// <inheritdoc />
    public override Field ArrowField(string name) => new(name, ValueKind<TV>.Instance.ArrowType, nullable: true);

    /// <inheritdoc />
    public override bool Accepts(IArrowType type) => RequiredColumn<TV>.SameArrowType(type, ValueKind<TV>.Instance.ArrowType);

    /// <inheritdoc />
    public override async Task ReadParquetAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, string path)
    {
        EnsureCapacity(rows);
        if (field.IsNullable)
        {
            await rowGroup.ReadAsync<TV>(field, Data.AsMemory(0, rows)).ConfigureAwait(false);
            return;
        }
        if (_scratch.Length < rows) _scratch = new TV[Data.Length];
        await rowGroup.ReadAsync<TV>(field, _scratch.AsMemory(0, rows)).ConfigureAwait(false);
        for (int i = 0; i < rows; i++) Data[i] = _scratch[i];
    }

    /// <inheritdoc />
    public override Task WriteParquetAsync(ParquetRowGroupWriter rowGroup, DataField field, int rows)
    {
        ValueKind<TV>.Instance.BeforeParquet(Data.AsSpan(0, rows));
        return rowGroup.WriteAsync<TV>(field, new ReadOnlyMemory<TV?>(Data, 0, rows));
    }

    /// <inheritdoc />
    public override void ReadArrow(IArrowArray array, int rows, string path, string column)
    {
        EnsureCapacity(rows);
        var kind = ValueKind<TV>.Instance;
        for (int i = 0; i < rows; i++) Data[i] = kind.Get(array, i);
    }

    /// <inheritdoc />
    public override IArrowArray BuildArrow(int rows) => ValueKind<TV>.Instance.Build(Data.AsSpan(0, rows));
}

/// <summary>A <c>string</c> member (null and empty strings are kept apart).</summary>
public sealed class StringColumn : ColumnBuffer<string?>
{
    /// <inheritdoc />
    public override string ArrowTypeName => StringType.Default.Name;

    /// <inheritdoc />
    public override DataField ParquetField(string name) => new(name, typeof(string), isNullable: true);

    /// <inheritdoc />
    public override Field ArrowField(string name) => new(name, StringType.Default, nullable: true);

    /// <inheritdoc />
    public override bool Accepts(IArrowType type) => type.TypeId == ArrowTypeId.String;

    /// <inheritdoc />
    public override async Task ReadParquetAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, string path)
    {
        EnsureCapacity(rows);
        await rowGroup.ReadAsync(field, Data.AsMemory(0, rows)!).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task WriteParquetAsync(ParquetRowGroupWriter rowGroup, DataField field, int rows) =>
        rowGroup.WriteAsync(field, new ArraySegment<string>(Data!, 0, rows));

    /// <inheritdoc />
    public override void ReadArrow(IArrowArray array, int rows, string path, string column)
    {
        EnsureCapacity(rows);
        var a = (StringArray)array;
        for (int i = 0; i < rows; i++) Data[i] = a.IsNull(i) ? null : a.GetString(i);
    }

    /// <inheritdoc />
    public override IArrowArray BuildArrow(int rows)
    {
        var b = new StringArray.Builder();
        b.Reserve(rows);
        for (int i = 0; i < rows; i++)
        {
            if (Data[i] is { } s) b.Append(s);
            else b.AppendNull();
        }
        return b.Build();
    }
}

/// <summary>A <c>byte[]</c> member.</summary>
public sealed class BinaryColumn : ColumnBuffer<byte[]?>
{
    /// <inheritdoc />
    public override string ArrowTypeName => BinaryType.Default.Name;

    /// <inheritdoc />
    public override DataField ParquetField(string name) => new(name, typeof(byte[]), isNullable: true);

    /// <inheritdoc />
    public override Field ArrowField(string name) => new(name, BinaryType.Default, nullable: true);

    /// <inheritdoc />
    public override bool Accepts(IArrowType type) => type.TypeId == ArrowTypeId.Binary;

    /// <inheritdoc />
    public override async Task ReadParquetAsync(ParquetRowGroupReader rowGroup, DataField field, int rows, string path)
    {
        EnsureCapacity(rows);
        await rowGroup.ReadAsync(field, Data.AsMemory(0, rows)!).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task WriteParquetAsync(ParquetRowGroupWriter rowGroup, DataField field, int rows) =>
        rowGroup.WriteAsync(field, new ArraySegment<byte[]>(Data!, 0, rows));

    /// <inheritdoc />
    public override void ReadArrow(IArrowArray array, int rows, string path, string column)
    {
        EnsureCapacity(rows);
        var a = (BinaryArray)array;
        for (int i = 0; i < rows; i++) Data[i] = a.IsNull(i) ? null : a.GetBytes(i).ToArray();
    }

    /// <inheritdoc />
    public override IArrowArray BuildArrow(int rows)
    {
        var b = new BinaryArray.Builder();
        b.Reserve(rows);
        for (int i = 0; i < rows; i++)
        {
            if (Data[i] is { } s) b.Append(s.AsSpan());
            else b.AppendNull();
        }
        return b.Build();
    }
}
