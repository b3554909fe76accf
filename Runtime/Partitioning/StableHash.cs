using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dataflow.Runtime.Partitioning;

/// <summary>
/// Hash codes that are the same in every process, so that a key lands in the same key group on
/// every worker of a cluster and after a restart.
/// </summary>
/// <remarks>
/// <see cref="string.GetHashCode()"/> and <see cref="HashCode"/> are randomized per process in .NET
/// and cannot be used for partitioning. Primitive keys, strings and the common value types are
/// hashed here directly (the type tests are JIT-time constants for value types); every other key
/// type gets a hash derived from its members, compiled once per type by <see cref="StableHasher{T}"/>.
/// A key type whose equality the engine cannot see through is refused (<see cref="EnsureStable{TKey}"/>)
/// rather than hashed by its own <see cref="object.GetHashCode"/>.
/// </remarks>
public static class StableHash
{
    /// <summary>The stable hash of <paramref name="key"/>.</summary>
    /// <exception cref="UnstableKeyException">The key type cannot be hashed identically in every process.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Of<TKey>(TKey key)
    {
        if (typeof(TKey) == typeof(int)) return Unsafe.As<TKey, int>(ref key);
        if (typeof(TKey) == typeof(long)) return Int64(Unsafe.As<TKey, long>(ref key));
        if (typeof(TKey) == typeof(uint)) return (int)Unsafe.As<TKey, uint>(ref key);
        if (typeof(TKey) == typeof(ulong)) return Int64((long)Unsafe.As<TKey, ulong>(ref key));
        if (typeof(TKey) == typeof(short)) return Unsafe.As<TKey, short>(ref key);
        if (typeof(TKey) == typeof(ushort)) return Unsafe.As<TKey, ushort>(ref key);
        if (typeof(TKey) == typeof(byte)) return Unsafe.As<TKey, byte>(ref key);
        if (typeof(TKey) == typeof(sbyte)) return Unsafe.As<TKey, sbyte>(ref key);
        if (typeof(TKey) == typeof(char)) return Unsafe.As<TKey, char>(ref key);
        if (typeof(TKey) == typeof(bool)) return Unsafe.As<TKey, bool>(ref key) ? 1 : 0;
        if (typeof(TKey) == typeof(double)) return Double(Unsafe.As<TKey, double>(ref key));
        if (typeof(TKey) == typeof(float)) return Double(Unsafe.As<TKey, float>(ref key));
        if (typeof(TKey) == typeof(Guid)) return Guid(Unsafe.As<TKey, Guid>(ref key));
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
        return StableHasher<TKey>.Hash(key);
    }

    /// <summary>
    /// Refuses a key type that cannot be hashed identically in every process; called when a plan
    /// with a keyed exchange or keyed state is built.
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="where">Where the key is used (an operator's name), for the message.</param>
    /// <exception cref="UnstableKeyException">The message names the type, the member and what to do.</exception>
    public static void EnsureStable<TKey>(string where)
    {
        if (StableHasher<TKey>.Problem is { } problem) throw new UnstableKeyException($"{where}: {problem}");
    }

    /// <summary>Why values of <paramref name="type"/> cannot be hashed identically in every process, or null when they can.</summary>
    public static string? ProblemOf(Type type) => StableHashBuilder.ProblemOf(type);

    /// <summary>Combines two component hashes (order-sensitive).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Combine(int h1, int h2) => h1 * 31 + h2 + 17 * 31;

    /// <summary>The stable hash of a string (FNV-1a over UTF-16 code units).</summary>
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
    public static int Double(double d) => d == 0 ? 0 : double.IsNaN(d) ? int.MinValue : Int64(BitConverter.DoubleToInt64Bits(d));

    /// <summary>The stable hash of a 64-bit integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Int64(long v) => (int)v ^ (int)(v >> 32);

    /// <summary>
    /// Decimals that are equal hash equally: <c>1.0m</c> and <c>1.00m</c> have different bits but
    /// convert to the same double.
    /// </summary>
    public static int Decimal(decimal d) => Double((double)d);

    /// <summary>The stable hash of a <see cref="Guid"/> (FNV-1a over its bytes).</summary>
    public static int Guid(Guid g)
    {
        uint h = 2166136261;
        foreach (byte b in MemoryMarshal.AsBytes(new ReadOnlySpan<Guid>(in g)))
        {
            h = (h ^ b) * 16777619;
        }
        return (int)h;
    }

    /// <summary>The stable hash of a 128-bit integer.</summary>
    public static int Int128(Int128 v) => Combine(Int64((long)(ulong)v), Int64((long)(ulong)(v >> 64)));

    /// <summary>A <see cref="System.DateTimeOffset"/> by its instant (its equality ignores the offset).</summary>
    public static int DateTimeOffset(DateTimeOffset d) => Int64(d.UtcTicks);
}

/// <summary>
/// The compiled stable hash of <typeparamref name="T"/>, or the reason there is none
/// (<see cref="Problem"/>; <see cref="Hash"/> then throws).
/// </summary>
/// <typeparam name="T">The key type.</typeparam>
public static class StableHasher<T>
{
    /// <summary>Why <typeparamref name="T"/> cannot be hashed identically in every process, or null.</summary>
    public static readonly string? Problem = StableHashBuilder.ProblemOf(typeof(T));

    /// <summary>The stable hash function of <typeparamref name="T"/>.</summary>
    public static readonly Func<T, int> Hash = Problem is null
        ? StableHashBuilder.Build<T>()
        : _ => throw new UnstableKeyException(Problem);
}
