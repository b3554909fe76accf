using System.Linq.Expressions;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace Dataflow.Runtime.Partitioning;

/// <summary>
/// Derives a stable hash for a key type from its members and compiles it (once per type), or says
/// why the type cannot have one.
/// </summary>
/// <remarks>
/// The hash must agree with the type's own equality, which the engine keeps. That is only certain
/// where equality is structural and known: primitives and the common value types, enums,
/// nullables, tuples, records and record structs (compiler-written equality over every field),
/// anonymous types, structs that keep <see cref="ValueType.Equals(object)"/>, and types that
/// implement <see cref="IStableHashCode"/>. Everything else is refused with the member at fault.
/// </remarks>
internal static class StableHashBuilder
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private static readonly MethodInfo s_combine = Method(nameof(StableHash.Combine));

    private static readonly HashSet<Type> s_leaves =
    [
        typeof(bool), typeof(char), typeof(byte), typeof(sbyte), typeof(short), typeof(ushort), typeof(int), typeof(uint),
        typeof(long), typeof(ulong), typeof(nint), typeof(nuint), typeof(float), typeof(double), typeof(Half), typeof(decimal),
        typeof(Int128), typeof(UInt128), typeof(string), typeof(Guid), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan),
        typeof(DateOnly), typeof(TimeOnly),
    ];

    private enum Shape
    {
        Leaf,
        Enum,
        Nullable,
        Custom,
        Tuple,
        Fields,
    }

    /// <summary>Why <paramref name="type"/> cannot be hashed identically in every process, or null.</summary>
    public static string? ProblemOf(Type type)
    {
        var problem = ProblemOf(type, NameOf(type), []);
        return problem is null ? null
            : $"the key type {NameOf(type)} cannot be hashed the same way in every process: {problem}. Use a key that compares by value " +
              $"(a record, a record struct, a tuple, a string or a primitive), or implement {typeof(IStableHashCode).FullName} on the type.";
    }

    /// <summary>The compiled hash of <typeparamref name="T"/> (whose <see cref="ProblemOf(Type)"/> is null).</summary>
    public static Func<T, int> Build<T>()
    {
        var p = Expression.Parameter(typeof(T), "key");
        return Expression.Lambda<Func<T, int>>(Body(p, typeof(T)), p).Compile();
    }

    private static string? ProblemOf(Type type, string path, List<Type> visiting)
    {
        if (visiting.Contains(type)) return null; // a recursive type: hashed through its own compiled hash at run time
        var (shape, problem) = Classify(type, path);
        if (problem is not null) return problem;
        visiting.Add(type);
        try
        {
            foreach (var (member, name) in Members(type, shape))
            {
                if (ProblemOf(member, $"{path}.{name}", visiting) is { } inner) return inner;
            }
            return null;
        }
        finally
        {
            visiting.RemoveAt(visiting.Count - 1);
        }
    }

    private static (Shape Shape, string? Problem) Classify(Type type, string path)
    {
        string what = path == NameOf(type) ? NameOf(type) : $"member {path} ({NameOf(type)})";
        if (s_leaves.Contains(type)) return (Shape.Leaf, null);
        if (type.IsEnum) return (Shape.Enum, null);
        if (Nullable.GetUnderlyingType(type) is not null) return (Shape.Nullable, null);
        if (typeof(IStableHashCode).IsAssignableFrom(type) && !type.IsInterface) return (Shape.Custom, null);
        if (type.IsArray) return (Shape.Fields, $"{what} is an array, which compares by reference");
        if (type.IsPointer || type.IsByRef || type.ContainsGenericParameters) return (Shape.Fields, $"{what} cannot be a key");
        if (type.IsInterface || type.IsAbstract || type == typeof(object) || typeof(Delegate).IsAssignableFrom(type))
        {
            return (Shape.Fields, $"{what} is an interface, abstract or object type whose values' types are not known when the plan is built");
        }
        if (IsTuple(type)) return (Shape.Tuple, null);
        if (IsAnonymous(type)) return (Shape.Fields, null);

        var getHashCode = type.GetMethod(nameof(GetHashCode), BindingFlags.Instance | BindingFlags.Public, Type.EmptyTypes)!;
        var equals = type.GetMethod(nameof(Equals), BindingFlags.Instance | BindingFlags.Public, [typeof(object)])!;
        bool inherited = getHashCode.DeclaringType == typeof(ValueType) || getHashCode.DeclaringType == typeof(object);
        bool compilerWritten = getHashCode.IsDefined(typeof(CompilerGeneratedAttribute)) && equals.IsDefined(typeof(CompilerGeneratedAttribute));
        if (type.IsValueType && inherited && equals.DeclaringType == typeof(ValueType)) return (Shape.Fields, null);
        if (compilerWritten) return (Shape.Fields, null); // records and record structs
        if (!type.IsValueType && inherited && equals.DeclaringType == typeof(object))
        {
            return (Shape.Fields, $"{what} compares by reference (it does not override Equals), so keys that look equal are different keys");
        }
        return (Shape.Fields, $"{what} has its own Equals and GetHashCode, which the engine cannot see through (a GetHashCode may differ between processes, as string.GetHashCode does)");
    }

    private static IEnumerable<(Type Type, string Path)> Members(Type type, Shape shape) => shape switch
    {
        Shape.Nullable => [(Nullable.GetUnderlyingType(type)!, "Value")],
        Shape.Tuple => TupleMembers(type).Select(m => (MemberType(m), m.Name)),
        Shape.Fields => FieldsOf(type).Select(f => (f.FieldType, Readable(f.Name))),
        _ => [],
    };

    private static Expression Body(Expression value, Type type)
    {
        var (shape, _) = Classify(type, NameOf(type));
        Expression hash = shape switch
        {
            Shape.Leaf => Leaf(value, type),
            Shape.Enum => Call(nameof(StableHash.Int64), Expression.Convert(Expression.Convert(value, Enum.GetUnderlyingType(type)), typeof(long))),
            Shape.Nullable => Expression.Condition(Expression.Property(value, "HasValue"),
                Member(Expression.Call(value, type.GetMethod("GetValueOrDefault", Type.EmptyTypes)!), Nullable.GetUnderlyingType(type)!), Expression.Constant(0)),
            // The implementing method itself, so that a struct is not boxed to call it.
            Shape.Custom => Expression.Call(value, type.GetInterfaceMap(typeof(IStableHashCode)).TargetMethods[0]),
            Shape.Tuple => Combined(TupleMembers(type).Select(m => Member(Expression.MakeMemberAccess(value, m), MemberType(m)))),
            _ => Combined(FieldsOf(type).Select(f => Member(Expression.Field(value, f), f.FieldType))),
        };
        // Null keys hash to 0, as the fast paths do for a null string.
        return type.IsValueType ? hash : Expression.Condition(Expression.ReferenceEqual(value, Expression.Constant(null, type)), Expression.Constant(0), hash);
    }

    /// <summary>A member's hash: leaves inline, everything else through the member type's own compiled hash (so recursive types work).</summary>
    private static Expression Member(Expression value, Type type)
    {
        if (s_leaves.Contains(type)) return Leaf(value, type);
        var hasher = typeof(StableHasher<>).MakeGenericType(type);
        return Expression.Invoke(Expression.Field(null, hasher.GetField(nameof(StableHasher<int>.Hash))!), value);
    }

    private static Expression Combined(IEnumerable<Expression> parts)
    {
        Expression h = Expression.Constant(17);
        foreach (var part in parts) h = Expression.Call(s_combine, h, part);
        return h;
    }

    private static Expression Leaf(Expression v, Type t)
    {
        if (t == typeof(int)) return v;
        if (t == typeof(bool)) return Expression.Condition(v, Expression.Constant(1), Expression.Constant(0));
        if (t == typeof(char) || t == typeof(byte) || t == typeof(sbyte) || t == typeof(short) || t == typeof(ushort) || t == typeof(uint)) return Expression.Convert(v, typeof(int));
        if (t == typeof(long)) return Call(nameof(StableHash.Int64), v);
        if (t == typeof(ulong) || t == typeof(nint) || t == typeof(nuint)) return Call(nameof(StableHash.Int64), Expression.Convert(v, typeof(long)));
        if (t == typeof(double)) return Call(nameof(StableHash.Double), v);
        if (t == typeof(float) || t == typeof(Half)) return Call(nameof(StableHash.Double), Expression.Convert(v, typeof(double)));
        if (t == typeof(decimal)) return Call(nameof(StableHash.Decimal), v);
        if (t == typeof(Int128)) return Call(nameof(StableHash.Int128), v);
        if (t == typeof(UInt128)) return Call(nameof(StableHash.Int128), Expression.Convert(v, typeof(Int128)));
        if (t == typeof(string)) return Call(nameof(StableHash.String), v);
        if (t == typeof(Guid)) return Call(nameof(StableHash.Guid), v);
        if (t == typeof(DateTimeOffset)) return Call(nameof(StableHash.DateTimeOffset), v);
        if (t == typeof(DateOnly)) return Expression.Property(v, nameof(DateOnly.DayNumber));
        // DateTime (equality ignores Kind), TimeSpan and TimeOnly: their ticks.
        return Call(nameof(StableHash.Int64), Expression.Property(v, "Ticks"));
    }

    private static MethodCallExpression Call(string name, Expression arg) => Expression.Call(Method(name, arg.Type), arg);

    private static MethodInfo Method(string name, Type? arg = null) =>
        arg is null ? typeof(StableHash).GetMethod(name)! : typeof(StableHash).GetMethod(name, [arg])!;

    private static bool IsTuple(Type type) =>
        type.IsGenericType && type.Namespace == "System" &&
        (type.Name.StartsWith("ValueTuple`", StringComparison.Ordinal) || type.Name.StartsWith("Tuple`", StringComparison.Ordinal));

    private static bool IsAnonymous(Type type) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute)) && type.Name.Contains("AnonymousType", StringComparison.Ordinal);

    /// <summary>Item1…Item7 and Rest, in order: fields of a value tuple, properties of a reference tuple.</summary>
    private static IEnumerable<MemberInfo> TupleMembers(Type type) => type.IsValueType
        ? type.GetFields().Where(f => f.Name.StartsWith("Item", StringComparison.Ordinal) || f.Name == "Rest").OrderBy(f => f.MetadataToken)
        : type.GetProperties().Where(p => p.Name.StartsWith("Item", StringComparison.Ordinal) || p.Name == "Rest").OrderBy(p => p.MetadataToken);

    private static Type MemberType(MemberInfo m) => m is FieldInfo f ? f.FieldType : ((PropertyInfo)m).PropertyType;

    /// <summary>Every instance field, the base type's first, each type's in declaration order.</summary>
    private static IEnumerable<FieldInfo> FieldsOf(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType) chain.Add(t);
        chain.Reverse();
        return chain.SelectMany(t => t.GetFields(InstanceFields).OrderBy(f => f.MetadataToken));
    }

    /// <summary>A property's name for its backing field (<c>&lt;Name&gt;k__BackingField</c>, an anonymous type's <c>&lt;Name&gt;i__Field</c>).</summary>
    private static string Readable(string field) =>
        field.StartsWith('<') && field.IndexOf('>', StringComparison.Ordinal) is > 1 and var end ? field[1..end] : field;

    /// <summary>A C#-like name: <c>List&lt;String&gt;</c> rather than <c>List`1</c>.</summary>
    internal static string NameOf(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } u) return NameOf(u) + "?";
        if (type.IsArray) return NameOf(type.GetElementType()!) + "[]";
        if (!type.IsGenericType) return type.Name;
        string name = type.Name;
        int tick = name.IndexOf('`', StringComparison.Ordinal);
        if (tick >= 0) name = name[..tick];
        return $"{name}<{string.Join(", ", type.GetGenericArguments().Select(NameOf))}>";
    }
}
