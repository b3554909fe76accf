using System.Globalization;
using Dataflow.Operators.Columnar;

namespace Dataflow.Engine.Tests;

/// <summary>Every supported member type, as non-nullable and nullable members.</summary>
public sealed record AllTypes(
    int I, long L, float F, double D, bool B, DateTime T, decimal M, string? S, byte[]? Bytes,
    int? NI, long? NL, float? NF, double? ND, bool? NB, DateTime? NT, decimal? NM);

/// <summary>A class built through its parameterless constructor and setters.</summary>
public sealed class Settable
{
    public int Id { get; set; }

    public string? Name { get; set; }

    public double? Score { get; set; }
}

/// <summary>A record struct.</summary>
public readonly record struct Reading(long Sensor, double Value, DateTime At);

/// <summary>Reads the Id column as int although it is long.</summary>
public sealed record IdAsInt(int Id, string? Name);

/// <summary>Asks for a column the file does not have.</summary>
public sealed record WithMissing(long Id, string? Missing);

/// <summary>A member of a type that has no column type.</summary>
public sealed record Unsupported(long Id, Guid Key);

/// <summary>Parquet and Arrow sources and sinks: round trips, parallel reads by row group / record batch, messages, commits.</summary>
public sealed class ColumnarFileTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<ColumnarFormat> Formats => new(ColumnarFormat.Parquet, ColumnarFormat.Arrow);

    private static string Ext(ColumnarFormat f) => f == ColumnarFormat.Parquet ? ".parquet" : ".arrow";

    private static Task WriteAsync<T>(DataSet<T> data, ColumnarFormat f, string path, IReadOnlyList<string>? columns = null, int rowsPerGroup = DataSet<T>.DefaultRowsPerGroup) =>
        f == ColumnarFormat.Parquet ? data.WriteParquetAsync(path, columns, rowsPerGroup) : data.WriteArrowAsync(path, columns, rowsPerGroup);

    private static DataSet<T> Read<T>(DataflowEnvironment env, ColumnarFormat f, string path, IReadOnlyList<string>? columns = null) =>
        f == ColumnarFormat.Parquet ? env.ReadParquet<T>(path, columns) : env.ReadArrow<T>(path, columns);

    /// <summary>A row as text, so that byte arrays and nulls compare by value.</summary>
    private static string Key(AllTypes r) => string.Join("|", new object?[]
    {
        r.I, r.L, r.F.ToString("R", CultureInfo.InvariantCulture), r.D.ToString("R", CultureInfo.InvariantCulture), r.B, r.T.Ticks, Norm(r.M),
        r.S is null ? "<null>" : "'" + r.S + "'", r.Bytes is null ? "<null>" : Convert.ToHexString(r.Bytes),
        r.NI, r.NL, r.NF?.ToString("R", CultureInfo.InvariantCulture), r.ND?.ToString("R", CultureInfo.InvariantCulture), r.NB, r.NT?.Ticks, r.NM is { } m ? Norm(m) : null,
    }.Select(x => x is null ? "<null>" : Convert.ToString(x, CultureInfo.InvariantCulture)));

    /// <summary>A decimal without trailing zeros: a DECIMAL(38, 18) column reads back -1.5 as -1.500000000000000000 (equal, but printed differently).</summary>
    private static decimal Norm(decimal d) => d / 1.0000000000000000000000000000m;

    // Decimal columns are DECIMAL(38, 18); DateTime columns are microseconds.
    private static readonly decimal MaxDecimal = 99_999_999_999_999_999_999.999_999_99m; // 28 significant digits: all a decimal has
    private static readonly DateTime MaxTime = new(DateTime.MaxValue.Ticks / 10 * 10, DateTimeKind.Utc);

    private static List<AllTypes> Extremes() =>
    [
        new(int.MinValue, long.MinValue, float.MinValue, double.MinValue, false, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), -MaxDecimal, "", [],
            int.MinValue, long.MinValue, float.MinValue, double.MinValue, false, DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc), -MaxDecimal),
        new(int.MaxValue, long.MaxValue, float.MaxValue, double.MaxValue, true, MaxTime, MaxDecimal, "日本語 😀 ß", [0, 255, 7],
            int.MaxValue, long.MaxValue, float.MaxValue, double.MaxValue, true, MaxTime, MaxDecimal),
        new(0, 0, float.Epsilon, double.Epsilon, false, new DateTime(2024, 2, 29, 13, 14, 15, 123, DateTimeKind.Utc).AddTicks(4560), 0.000_000_000_000_000_001m, null, null,
            null, null, null, null, null, null, null),
        new(-1, -1, float.NaN, double.NegativeInfinity, true, DateTime.UnixEpoch, -1.5m, "a", null,
            0, 0, -0f, double.PositiveInfinity, false, DateTime.UnixEpoch, 0m),
    ];

    private static List<AllTypes> Many(int count)
    {
        var r = new Random(42);
        return Enumerable.Range(0, count).Select(i => new AllTypes(
            i, (long)i * 1_000_003, (float)r.NextDouble(), r.NextDouble() * 1e6, i % 3 == 0,
            DateTime.UnixEpoch.AddSeconds(i * 37).AddTicks(i % 1000 * 10), i * 0.01m, i % 7 == 0 ? null : i % 5 == 0 ? "" : "s" + i,
            i % 4 == 0 ? null : BitConverter.GetBytes(i),
            i % 2 == 0 ? null : i, i % 3 == 0 ? null : -i, i % 5 == 0 ? null : i / 3f, i % 6 == 0 ? null : i / 7.0,
            i % 2 == 0 ? null : i % 4 == 1, i % 9 == 0 ? null : DateTime.UnixEpoch.AddDays(i), i % 8 == 0 ? null : -i * 1.25m)).ToList();
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_AllTypesWithExtremesAndNulls_ReadsBackTheSameRecords(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var rows = Extremes();
        var path = _dir.File("all" + Ext(format));
        await WriteAsync(env.FromCollection(rows), format, path);
        var back = await Read<AllTypes>(env, format, path).CollectAsync();
        Assert.Equal(rows.Select(Key).Order(StringComparer.Ordinal), back.Select(Key).Order(StringComparer.Ordinal));
        Assert.All(back, r => Assert.Equal(DateTimeKind.Utc, r.T.Kind));
        Assert.Single(back, r => r.S == "");
        Assert.Single(back, r => r.S is null);
        Assert.Equal([path], Directory.GetFiles(_dir.Path)); // no part or temporary file left
    }

    [Theory]
    [InlineData(ColumnarFormat.Parquet, 1)]
    [InlineData(ColumnarFormat.Parquet, 2)]
    [InlineData(ColumnarFormat.Parquet, 3)]
    [InlineData(ColumnarFormat.Parquet, 4)]
    [InlineData(ColumnarFormat.Arrow, 1)]
    [InlineData(ColumnarFormat.Arrow, 2)]
    [InlineData(ColumnarFormat.Arrow, 3)]
    [InlineData(ColumnarFormat.Arrow, 4)]
    public async Task Read_ManyRowGroupsAtParallelism_SameMultisetAsLinq(ColumnarFormat format, int parallelism)
    {
        var rows = Many(5_000);
        var path = _dir.File("many" + Ext(format));
        await WriteAsync(DataflowEnvironment.CreateLocal(3).FromCollection(rows), format, path, rowsPerGroup: 317);
        Assert.True(await GroupCountAsync(format, path) >= 5_000 / 317);

        var env = DataflowEnvironment.CreateLocal(parallelism);
        var read = await Read<AllTypes>(env, format, path).Where(r => r.I % 2 == 0).Select(Key).CollectAsync();
        var expected = rows.Where(r => r.I % 2 == 0).Select(Key);
        Assert.Equal(expected.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    private static async Task<int> GroupCountAsync(ColumnarFormat format, string path)
    {
        await using var stream = File.OpenRead(path);
        if (format == ColumnarFormat.Parquet)
        {
            await using var reader = await Parquet.ParquetReader.CreateAsync(stream);
            return reader.RowGroupCount;
        }
        using var arrow = new Apache.Arrow.Ipc.ArrowFileReader(stream);
        return await arrow.RecordBatchCountAsync();
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_ClassRecordStructAndTuple_ReadBackByNameAndColumns(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var settable = Enumerable.Range(0, 300).Select(i => new Settable { Id = i, Name = i % 3 == 0 ? null : $"n{i}", Score = i % 2 == 0 ? null : i / 2.0 }).ToList();
        var p1 = _dir.File("settable" + Ext(format));
        await WriteAsync(env.FromCollection(settable), format, p1);
        var back = await Read<Settable>(env, format, p1).CollectAsync();
        Assert.Equal(settable.Select(s => (s.Id, s.Name, s.Score)).Order(), back.Select(s => (s.Id, s.Name, s.Score)).Order());

        var readings = Enumerable.Range(0, 300).Select(i => new Reading(i, i * 0.5, DateTime.UnixEpoch.AddMinutes(i))).ToList();
        var p2 = _dir.File("readings" + Ext(format));
        await WriteAsync(env.FromCollection(readings), format, p2);
        Assert.Equal(readings, (await Read<Reading>(env, format, p2).CollectAsync()).OrderBy(r => r.Sensor));

        // Tuples: Item1, Item2 by default; named columns when given, and records read them by name.
        var tuples = Enumerable.Range(0, 300).Select(i => ((long)i, i % 4 == 0 ? null : $"t{i}")).ToList();
        var p3 = _dir.File("tuples" + Ext(format));
        await WriteAsync(env.FromCollection(tuples), format, p3);
        Assert.Equal(tuples.Order(), (await Read<(long, string?)>(env, format, p3).CollectAsync()).Order());
        var p4 = _dir.File("named" + Ext(format));
        await WriteAsync(env.FromCollection(tuples), format, p4, columns: ["id", "name"]);
        Assert.Equal(tuples.Order(), (await Read<(long, string?)>(env, format, p4, ["id", "name"]).CollectAsync()).Order());
        var asRecords = await Read<WithMissing>(env, format, p4, ["id", "name"]).CollectAsync();
        Assert.Equal(tuples.Select(t => new WithMissing(t.Item1, t.Item2)).OrderBy(r => r.Id), asRecords.OrderBy(r => r.Id));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Read_ColumnOfAnotherType_FailsNamingFileColumnAndBothTypes(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var path = _dir.File("typed" + Ext(format));
        await WriteAsync(env.FromCollection([(Id: 1L, Name: "a")]), format, path, columns: ["Id", "Name"]);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Read<IdAsInt>(env, format, path).CollectAsync());
        var message = Messages(ex);
        Assert.Contains(path, message);
        Assert.Contains("column 'Id'", message);
        Assert.Contains("expected", message);
        Assert.Contains(format == ColumnarFormat.Parquet ? "has type Int64, expected Int32" : "has type int64, expected int32", message);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Read_MissingColumn_FailsNamingTheColumnAndListingTheFilesColumns(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var path = _dir.File("missing" + Ext(format));
        await WriteAsync(env.FromCollection([(Id: 1L, Name: "a")]), format, path, columns: ["Id", "Name"]);
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Read<WithMissing>(env, format, path).CollectAsync());
        var message = Messages(ex);
        Assert.Contains($"{path}: no column 'Missing'; the file's columns are: Id, Name", message);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Read_NullIntoNonNullableMember_FailsNamingFileAndColumn(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(1);
        var path = _dir.File("optional" + Ext(format));
        var withNull = _dir.File("with-null" + Ext(format));
        await WriteAsync(env.FromCollection([((long?)1, "a"), (2, "b")]), format, path, columns: ["Id", "Name"]);
        await WriteAsync(env.FromCollection([((long?)1, "a"), (null, "b")]), format, withNull, columns: ["Id", "Name"]);
        // An optional column without nulls reads into a non-nullable member; a null fails.
        Assert.Equal([1L, 2L], (await Read<WithMissing>(env, format, path, ["Id", "Name"]).CollectAsync()).Select(r => r.Id).Order());
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => Read<WithMissing>(env, format, withNull, ["Id", "Name"]).CollectAsync());
        Assert.Contains($"{withNull}: column 'Id' has a null, but the member it maps to is not nullable", Messages(ex));
    }

    [Fact]
    public void ReadParquet_MemberOfUnsupportedType_ThrowsBeforeTheJobNamingTheMember()
    {
        var env = DataflowEnvironment.CreateLocal(1);
        var ex = Assert.Throws<NotSupportedException>(() => env.ReadParquet<Unsupported>(_dir.File("x.parquet")));
        Assert.Contains("Unsupported.Key has type Guid", ex.Message);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_JobFails_LeavesNoFileAndKeepsTheOldOne(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(3);
        var path = _dir.File("out" + Ext(format));
        var fresh = _dir.File("fresh" + Ext(format));
        await File.WriteAllTextAsync(path, "previous");
        var failing = env.Generate(10_000, i => i).Select(i => i == 7_777 ? throw new InvalidOperationException("boom") : new Reading(i, i, DateTime.UnixEpoch));
        await Assert.ThrowsAsync<JobExecutionException>(() => WriteAsync(failing, format, path, rowsPerGroup: 100));
        await Assert.ThrowsAsync<JobExecutionException>(() => WriteAsync(failing, format, fresh, rowsPerGroup: 100));
        Assert.Equal("previous", await File.ReadAllTextAsync(path));
        Assert.Equal([path], Directory.GetFiles(_dir.Path));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_NullRecord_FailsAndLeavesNoFile(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var path = _dir.File("nulls" + Ext(format));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => WriteAsync(env.FromCollection(new Settable?[] { new(), null }), format, path));
        Assert.Contains("A null Settable cannot be written as a row", Messages(ex));
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public async Task Write_EmptyDataSet_ReadsBackNoRecords(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var path = _dir.File("empty" + Ext(format));
        await WriteAsync(env.FromCollection(Array.Empty<Reading>()), format, path);
        Assert.True(File.Exists(path));
        Assert.Empty(await Read<Reading>(env, format, path).CollectAsync());
    }

    [Fact]
    public async Task ReadParquetVectors_NumericColumns_VectorsInFileOrder()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        var path = _dir.File("points.parquet");
        var rows = Enumerable.Range(0, 1000).Select(i => (i, (long)-i, i / 2f, i / 3.0)).ToList();
        await env.FromCollection(rows).WriteParquetAsync(path, ["a", "b", "c", "d"], rowsPerGroup: 64);
        Assert.Equal((4, 1000L), await ColumnarFiles.ParquetVectorShapeAsync(path));
        var vectors = await DataflowEnvironment.CreateLocal(3).ReadParquetVectors(path).CollectAsync();
        var expected = rows.Select(r => $"{r.Item1},{r.Item2},{(double)r.Item3:R},{r.Item4:R}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), vectors.Select(v => string.Join(',', v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))).Order(StringComparer.Ordinal));

        var text = _dir.File("text.parquet");
        await env.FromCollection([(1L, "x")]).WriteParquetAsync(text, ["id", "label"]);
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => ColumnarFiles.ParquetVectorShapeAsync(text));
        Assert.Contains($"{text}: column 'label' has type String, expected a number", ex.Message);
    }

    private static string Messages(Exception e)
    {
        var all = new List<string>();
        for (var x = e; x is not null; x = x.InnerException) all.Add(x.Message);
        return string.Join(" / ", all);
    }
}

/// <summary>What a DateTime of another kind, or with ticks below a microsecond, reads back as.</summary>
public sealed class ColumnarDateTimeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(ColumnarFormat.Parquet)]
    [InlineData(ColumnarFormat.Arrow)]
    public async Task Write_LocalAndUnspecifiedWithSubMicrosecondTicks_ReadsSameTicksTruncatedToMicrosecondsAsUtc(ColumnarFormat format)
    {
        var env = DataflowEnvironment.CreateLocal(1);
        var path = _dir.File("t" + (format == ColumnarFormat.Parquet ? ".parquet" : ".arrow"));
        var baseTicks = new DateTime(2020, 5, 6, 7, 8, 9).Ticks + 1234567;
        var rows = new[] { (1, new DateTime(baseTicks, DateTimeKind.Local)), (2, new DateTime(baseTicks, DateTimeKind.Unspecified)), (3, new DateTime(baseTicks, DateTimeKind.Utc)) };
        var data = env.FromCollection(rows);
        if (format == ColumnarFormat.Parquet) await data.WriteParquetAsync(path);
        else await data.WriteArrowAsync(path);
        var back = format == ColumnarFormat.Parquet ? env.ReadParquet<(int, DateTime)>(path) : env.ReadArrow<(int, DateTime)>(path);
        foreach (var (_, t) in await back.CollectAsync())
        {
            Assert.Equal(DateTimeKind.Utc, t.Kind);
            Assert.Equal(baseTicks / 10 * 10, t.Ticks);
        }
    }
}
