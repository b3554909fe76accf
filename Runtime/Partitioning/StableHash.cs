using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dataflow.Runtime.Partitioning;

/// <summary>
/// Hash codes that are the same in every process, so that a key lands in the same key group on
/// every worker of a cluster and after a restart.
/// </summary>
/// <remarks>
/// <see cref="string.GetHashCode()"/> and <see cref="HashCode"/> are randomized per process in .NET
/// and cannot be used for partitioning. Primitive keys, strings, enums and value tuples of those are
/// hashed deterministically; the type tests are JIT-time constants for value types, so the
/// per-record cost is a few instructions. Other types fall back to their own
/// <see cref="object.GetHashCode"/>, which must then be deterministic for cluster mode.
/// </remarks>
public static class StableHash
{
    /// <summary>The stable hash of <paramref name="key"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of<TKey>(TKey key)
    {
        if (typeof(TKey) == typeof(int)) return Unsafe.As<TKey, int>(ref key);
        if (typeof(TKey) == typeof(long)) return Int64(Unsafe.As<TKey, long>(ref key));
        if (typeof(TKey) == typeof(uint)) return (int)Unsafe.As<TKey, uint>(ref key);
        if (typeof(TKey) == typeof(ulong)) return Int64((long)Unsafe.As<TKey, ulong>(ref key));
        if (typeof(TKey) == typeof(short)) return Unsafe.As<TKey, short>(ref key);
        if (typeof(TKey) == typeof(byte)) return Unsafe.As<TKey, byte>(ref key);
        if (typeof(TKey) == typeof(char)) return Unsafe.As<TKey, char>(ref key);
        if (typeof(TKey) == typeof(bool)) return Unsafe.As<TKey, bool>(ref key) ? 1 : 0;
        if (typeof(TKey) == typeof(double)) return Double(Unsafe.As<TKey, double>(ref key));
        if (typeof(TKey) == typeof(float)) return Double(Unsafe.As<TKey, float>(ref key));
        if (typeof(TKey) == typeof(Guid)) return Bytes(MemoryMarshal.AsBytes(new ReadOnlySpan<Guid>(in Unsafe.As<TKey, Guid>(ref key))));
        if (typeof(TKey) == typeof(string)) return String(Unsafe.As<TKey, string>(ref key));
        if (typeof(TKey) == typeof((long, long)))
        {
            var t = Unsafe.As<TKey, (long, long)>(ref key);
            return Combine(Int64(t.Item1), Int64(t.Item2));
        }
        if (typeof(TKey) == typeof((int, int)))
        {
            var t = Unsafe.As<TKey, (int, int)>(ref key);
            return Combine(t.Item1, t.Item2);
        }
        if (TupleHasher<TKey>.Hash is { } tuple) return tuple(key);
        return Slow(key);
    }

    /// <summary>Combines two component hashes (order-sensitive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Combine(int h1, int h2) => h1 * 31 + h2 + 17 * 31;

    /// <summary>The stable hash of a string (FNV-1a over UTF-16 code units, then mixed).</summary>
    public static int String(string? s)
    {
        if (s is null) return 0;
        return Chars(s.AsSpan());
    }

    /// <summary>The stable hash of a character span; equal to <see cref="String"/> for the same text.</summary>
    public static int Chars(ReadOnlySpan<char> s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h = (h ^ c) * 16777619;
        }
        return (int)h;
    }

    /// <summary>Equal doubles hash equally: -0.0 and 0.0 are one key, as are all NaNs (as for <see cref="EqualityComparer{T}.Default"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Double(double d) => d == 0 ? 0 : double.IsNaN(d) ? int.MinValue : Int64(BitConverter.DoubleToInt64Bits(d));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Int64(long v) => (int)v ^ (int)(v >> 32);

    private static int Bytes(ReadOnlySpan<byte> bytes)
    {
        uint h = 2166136261;
        foreach (byte b in bytes)
        {
            h = (h ^ b) * 16777619;
        }
        return (int)h;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Slow<TKey>(TKey key)
    {
        if (key is null) return 0;
        if (key is Enum) return Convert.ToInt64(key, System.Globalization.CultureInfo.InvariantCulture).GetHashCode();
        if (key is System.Runtime.CompilerServices.ITuple tuple)
        {
            int h = 17;
            for (int i = 0; i < tuple.Length; i++)
            {
                h = h * 31 + Boxed(tuple[i]);
            }
            return h;
        }
        return key.GetHashCode();
    }

    private static int Boxed(object? o) => o switch
    {
        null => 0,
        int i => i,
        long l => Int64(l),
        string s => String(s),
        double d => Double(d),
        float f => Double(f),
        _ => Slow(o),
    };
}

/// <summary>
/// A compiled, boxing-free stable hash for value tuples (and nested ones): the components' stable
/// hashes combined in order. Null for other types.
/// </summary>
internal static class TupleHasher<T>
{
    public static readonly Func<T, int>? Hash = Build();

    private static Func<T, int>? Build()
    {
        var type = typeof(T);
        if (!type.IsValueType || !type.IsGenericType || !type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal)) return null;
        var p = System.Linq.Expressions.Expression.Parameter(type, "key");
        System.Linq.Expressions.Expression h = System.Linq.Expressions.Expression.Constant(17);
        var of = typeof(StableHash).GetMethod(nameof(StableHash.Of))!;
        var combine = typeof(StableHash).GetMethod(nameof(StableHash.Combine))!;
        foreach (var field in type.GetFields().Where(f => f.Name.StartsWith("Item", StringComparison.Ordinal) || f.Name == "Rest").OrderBy(f => f.MetadataToken))
        {
            var component = System.Linq.Expressions.Expression.Call(of.MakeGenericMethod(field.FieldType), System.Linq.Expressions.Expression.Field(p, field));
            h = System.Linq.Expressions.Expression.Call(combine, h, component);
        }
        return System.Linq.Expressions.Expression.Lambda<Func<T, int>>(h, p).Compile();
    }
}
