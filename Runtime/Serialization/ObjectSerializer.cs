using System.Linq.Expressions;
using System.Reflection;

namespace Dataflow.Runtime.Serialization;

/// <summary>
/// Value tuples, records, classes and structs with references, through writers and readers
/// compiled once from expression trees: every public instance property (or public field) with the
/// serializer of its own type. Objects are rebuilt through the constructor whose parameters match
/// the properties by name (a record's primary constructor), then the remaining settable members.
/// Reference types carry a presence byte, so null round-trips.
/// </summary>
public sealed class ObjectSerializer<T> : Serializer<T>
{
    private readonly Action<ByteWriter, T> _write;
    private readonly Func<ByteReader, T> _read;

    /// <summary>Compiles the serializer of <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">The type has no readable members or cannot be constructed from them; register a serializer.</exception>
    public ObjectSerializer()
    {
        var type = typeof(T);
        var members = Members(type);
        if (members.Count == 0) throw new NotSupportedException($"{type} has no public readable properties or fields; register a Serializer<{type.Name}>.");
        _write = CompileWrite(type, members);
        _read = CompileRead(type, members);
    }

    /// <inheritdoc />
    public override void Write(ByteWriter writer, T value) => _write(writer, value);

    /// <inheritdoc />
    public override T Read(ByteReader reader) => _read(reader);

    /// <inheritdoc />
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override void WriteBatch(ByteWriter writer, ReadOnlySpan<T> items)
    {
        writer.WriteVarint((ulong)items.Length);
        var write = _write;
        foreach (var item in items) write(writer, item);
    }

    /// <inheritdoc />
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public override int ReadBatch(ByteReader reader, List<T> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        int n = reader.ReadLength();
        into.EnsureCapacity(into.Count + n);
        var read = _read;
        int at = into.Count;
        try
        {
            for (int i = 0; i < n; i++) into.Add(read(reader));
        }
        catch (SerializationException)
        {
            into.RemoveRange(at, into.Count - at); // a batch reads in whole or not at all
            throw;
        }
        return n;
    }

    private static List<MemberInfo> Members(Type type)
    {
        if (type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal))
        {
            return type.GetFields().Where(f => f.Name.StartsWith("Item", StringComparison.Ordinal) || f.Name == "Rest").OrderBy(f => f.MetadataToken).Cast<MemberInfo>().ToList();
        }
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken).Cast<MemberInfo>();
        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance).Where(f => !f.IsInitOnly || type.IsValueType).Cast<MemberInfo>();
        return props.Concat(fields).ToList();
    }

    private static Type TypeOf(MemberInfo m) => m is PropertyInfo p ? p.PropertyType : ((FieldInfo)m).FieldType;

    private static Expression SerializerOf(Type t) =>
        Expression.Call(typeof(Serializers).GetMethod(nameof(Serializers.Get))!.MakeGenericMethod(t));

    private static Action<ByteWriter, T> CompileWrite(Type type, List<MemberInfo> members)
    {
        var w = Expression.Parameter(typeof(ByteWriter), "w");
        var v = Expression.Parameter(type, "v");
        var body = new List<Expression>();
        foreach (var m in members)
        {
            var t = TypeOf(m);
            body.Add(Expression.Call(SerializerOf(t), typeof(Serializer<>).MakeGenericType(t).GetMethod(nameof(Serializer<int>.Write))!,
                w, Expression.MakeMemberAccess(v, m)));
        }
        Expression block = Expression.Block(body);
        if (!type.IsValueType)
        {
            var writeBool = typeof(ByteWriter).GetMethod(nameof(ByteWriter.Write))!.MakeGenericMethod(typeof(bool));
            block = Expression.IfThenElse(Expression.ReferenceEqual(v, Expression.Constant(null, type)),
                Expression.Call(w, writeBool, Expression.Constant(false)),
                Expression.Block(Expression.Call(w, writeBool, Expression.Constant(true)), block));
        }
        return Expression.Lambda<Action<ByteWriter, T>>(block, w, v).Compile();
    }

    private static Func<ByteReader, T> CompileRead(Type type, List<MemberInfo> members)
    {
        var r = Expression.Parameter(typeof(ByteReader), "r");
        var locals = members.Select(m => Expression.Variable(TypeOf(m), m.Name)).ToList();
        var body = new List<Expression>();
        for (int i = 0; i < members.Count; i++)
        {
            var t = TypeOf(members[i]);
            body.Add(Expression.Assign(locals[i], Expression.Call(SerializerOf(t), typeof(Serializer<>).MakeGenericType(t).GetMethod(nameof(Serializer<int>.Read))!, r)));
        }
        var result = Expression.Variable(type, "result");
        var byName = members.Select((m, i) => (m, i)).ToDictionary(x => x.m.Name.ToLowerInvariant(), x => x.i);
        var ctor = type.GetConstructors()
            .Where(c => c.GetParameters().All(p => p.Name is not null && byName.TryGetValue(p.Name.ToLowerInvariant(), out int i) && TypeOf(members[i]) == p.ParameterType))
            .OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var assigned = new HashSet<int>();
        if (ctor is not null)
        {
            var args = ctor.GetParameters().Select(p =>
            {
                int i = byName[p.Name!.ToLowerInvariant()];
                assigned.Add(i);
                return (Expression)locals[i];
            });
            body.Add(Expression.Assign(result, Expression.New(ctor, args)));
        }
        else if (type.IsValueType)
        {
            body.Add(Expression.Assign(result, Expression.Default(type)));
        }
        else
        {
            throw new NotSupportedException($"{type} has no constructor matching its properties and no parameterless one; register a Serializer<{type.Name}>.");
        }
        for (int i = 0; i < members.Count; i++)
        {
            if (assigned.Contains(i)) continue;
            bool writable = members[i] is PropertyInfo p ? p.SetMethod is { IsPublic: true } : !((FieldInfo)members[i]).IsInitOnly;
            if (!writable) throw new NotSupportedException($"{type}.{members[i].Name} can neither be passed to a constructor nor set; register a Serializer<{type.Name}>.");
            body.Add(Expression.Assign(Expression.MakeMemberAccess(result, members[i]), locals[i]));
        }
        body.Add(result);
        Expression block = Expression.Block(locals.Append(result), body);
        if (!type.IsValueType)
        {
            var readBool = typeof(ByteReader).GetMethod(nameof(ByteReader.Read))!.MakeGenericMethod(typeof(bool));
            block = Expression.Condition(Expression.Call(r, readBool), block, Expression.Constant(null, type));
        }
        return Expression.Lambda<Func<ByteReader, T>>(block, r).Compile();
    }
}
