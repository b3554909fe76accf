using Dataflow.Runtime.Partitioning;

namespace Dataflow.Runtime.Tests;

public readonly record struct SKey(string Name, int Part);

public sealed record CKey(string Name, int Part);

public record Inner(string Label, decimal Amount);

public sealed record Outer(Inner Inner, Color Color, int? Maybe, DateTime When);

public sealed record Derived(string Label, decimal Amount, Guid Id) : Inner(Label, Amount);

public sealed record Chain(int Value, Chain? Next);

public enum Color
{
    Red,
    Green,
}

public struct PlainStruct
{
    public string Name;
    public long Value;
}

public sealed class ReferenceKey(string name)
{
    public string Name { get; } = name;
}

public sealed class CustomKey(string name) : IEquatable<CustomKey>
{
    public string Name { get; } = name;

    public bool Equals(CustomKey? other) => other is not null && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => Equals(obj as CustomKey);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Name);
}

public readonly struct CaseInsensitive(string name) : IEquatable<CaseInsensitive>, IStableHashCode
{
    public string Name { get; } = name;

    public bool Equals(CaseInsensitive other) => string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);

    public override bool Equals(object? obj) => obj is CaseInsensitive c && Equals(c);

    public override int GetHashCode() => StringComparer.OrdinalIgnoreCase.GetHashCode(Name);

    public int GetStableHashCode()
    {
        Span<char> upper = stackalloc char[Name.Length];
        Name.AsSpan().ToUpperInvariant(upper);
        return StableHash.Chars(upper);
    }
}

public sealed record WithList(string Name, List<string> Tags);

public sealed record WithObject(object Anything);

public sealed record WithArray(int[] Values);

public sealed record WithCustom(int Id, CustomKey Custom);

public class StableHashTests
{
    private static int Seeded(params int[] parts) => parts.Aggregate(17, StableHash.Combine);

    [Fact]
    public void Of_RecordStructWithString_IsDerivedFromMembersNotProcessHash()
    {
        // string.GetHashCode is randomized per process; the hash must be a function of the members' stable hashes.
        Assert.Equal(Seeded(StableHash.String("user0"), 3), StableHash.Of(new SKey("user0", 3)));
        Assert.Equal(Seeded(StableHash.String("user0"), 3), StableHash.Of(new CKey("user0", 3)));
        Assert.Equal(StableHash.Of(new SKey("a", 1)), StableHash.Of(new SKey(new string('a', 1), 1)));
        Assert.NotEqual(StableHash.Of(new SKey("a", 1)), StableHash.Of(new SKey("a", 2)));
    }

    [Fact]
    public void Of_EqualKeysOfEveryMemberKind_HashEqually()
    {
        var when = new DateTime(2026, 12, 4, 10, 0, 0, DateTimeKind.Utc);
        var a = new Outer(new Inner("x", 1.0m), Color.Green, 5, when);
        var b = new Outer(new Inner("x", 1.00m), Color.Green, 5, DateTime.SpecifyKind(when, DateTimeKind.Local)); // equal: decimal scale and DateTime kind do not count
        Assert.Equal(a, b);
        Assert.Equal(StableHash.Of(a), StableHash.Of(b));
        Assert.NotEqual(StableHash.Of(a), StableHash.Of(a with { Maybe = null }));
        Assert.NotEqual(StableHash.Of(a), StableHash.Of(a with { Color = Color.Red }));
        Assert.Equal(0, StableHash.Of<CKey?>(null));
        Assert.Equal(StableHash.Of(new Chain(1, new Chain(2, null))), StableHash.Of(new Chain(1, new Chain(2, null))));
        var id = Guid.NewGuid();
        Assert.Equal(StableHash.Of(new Derived("l", 2m, id)), StableHash.Of(new Derived("l", 2.0m, id)));
    }

    [Fact]
    public void Of_NegativeZeroAndNaN_HashLikeTheirEquals()
    {
        Assert.Equal(StableHash.Of(0.0), StableHash.Of(-0.0));
        Assert.Equal(StableHash.Of(double.NaN), StableHash.Of(BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000001))));
        Assert.Equal(StableHash.Of((0.0, "a")), StableHash.Of((-0.0, "a")));
        Assert.Equal(StableHash.Of(new Inner("a", 0m)), StableHash.Of(new Inner("a", -0m)));
        Assert.Equal(StableHash.Of(0.0f), StableHash.Of(-0.0f));
    }

    [Fact]
    public void Of_TuplesAnonymousTypesAndStructs_AreHashedByMembers()
    {
        Assert.Equal(Seeded(StableHash.String("a"), 1), StableHash.Of(("a", 1)));
        Assert.Equal(StableHash.Of(("a", 1)), StableHash.Of(Tuple.Create("a", 1)));
        Assert.Equal(Seeded(StableHash.String("a"), 1), StableHash.Of(new { Name = "a", Part = 1 }));
        Assert.Equal(StableHash.Of(new PlainStruct { Name = "n", Value = 4 }), StableHash.Of(new PlainStruct { Name = "n", Value = 4 }));
        Assert.Equal(StableHash.Of(new KeyValuePair<string, int>("k", 1)), StableHash.Of(new KeyValuePair<string, int>("k", 1)));
        Assert.Equal(StableHash.Of((1, 2, 3, 4, 5, 6, 7, 8, "nine")), StableHash.Of((1, 2, 3, 4, 5, 6, 7, 8, "nine")));
        Assert.Equal(StableHash.Of(Color.Green), StableHash.Of(1L));
    }

    [Fact]
    public void Of_TypeWithStableHashCode_UsesItWithoutBoxing()
    {
        Assert.Equal(StableHash.Of(new CaseInsensitive("abc")), StableHash.Of(new CaseInsensitive("ABC")));
        var keys = new[] { new SKey("a", 1), new SKey("b", 2) };
        var custom = new CaseInsensitive("abc");
        int sink = StableHash.Of(keys[0]) + StableHash.Of(custom) + StableHash.Of((keys[0], 2.5)); // compiled and warm
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++) sink += StableHash.Of(keys[i & 1]) + StableHash.Of(custom) + StableHash.Of((keys[i & 1], 2.5));
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.NotEqual(0, sink);
    }

    [Theory]
    [InlineData(typeof(ReferenceKey), "ReferenceKey compares by reference")]
    [InlineData(typeof(CustomKey), "CustomKey has its own Equals and GetHashCode")]
    [InlineData(typeof(WithList), "member WithList.Tags (List<String>) compares by reference")]
    [InlineData(typeof(WithObject), "member WithObject.Anything (Object) is an interface, abstract or object type")]
    [InlineData(typeof(WithArray), "member WithArray.Values (Int32[]) is an array")]
    [InlineData(typeof(WithCustom), "member WithCustom.Custom (CustomKey) has its own Equals")]
    [InlineData(typeof((int, ReferenceKey)), "member ValueTuple<Int32, ReferenceKey>.Item2 (ReferenceKey) compares by reference")]
    public void EnsureStable_KeyThatCannotBeHashedStably_IsRefusedNamingTypeAndMember(Type type, string expected)
    {
        var ensure = typeof(StableHash).GetMethod(nameof(StableHash.EnsureStable))!.MakeGenericMethod(type);
        var e = Assert.IsType<UnstableKeyException>(Assert.Throws<System.Reflection.TargetInvocationException>(() => ensure.Invoke(null, ["GroupBy(k)"])).InnerException);
        Assert.StartsWith("GroupBy(k): the key type", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(IStableHashCode), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Of_RefusedType_ThrowsInsteadOfHashingByProcess()
    {
        Assert.Throws<UnstableKeyException>(() => StableHash.Of(new ReferenceKey("a")));
        Assert.Null(StableHash.ProblemOf(typeof(Outer)));
        Assert.Null(StableHash.ProblemOf(typeof(CaseInsensitive)));
    }
}
