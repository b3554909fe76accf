using System.Linq.Expressions;
using System.Reflection;

namespace Dataflow.Operators.Columnar;

/// <summary>
/// How records of <typeparamref name="T"/> map to columns: one column per public member (properties of
/// records and classes, fields of structs and value tuples) in declaration order, named after the member
/// (a value tuple's members are <c>Item1</c>, <c>Item2</c>, ...: element names do not exist at run time),
/// or after <c>columns[i]</c> when names are given. Converting a batch between records and column arrays
/// runs through two delegates compiled once from expression trees, so there is no reflection or boxing
/// per record.
/// </summary>
public sealed class ColumnarLayout<T>
{
    private readonly Action<ColumnBuffer[], T[], int> _build;
    private readonly Action<T[], int, ColumnBuffer[]> _fill;
    private readonly Type[] _memberTypes;

    /// <summary>Compiles the layout.</summary>
    /// <param name="columns">Column names for the members in declaration order, or null for the member names.</param>
    /// <exception cref="NotSupportedException">A member of an unsupported type, or a type that cannot be built from its members.</exception>
    /// <exception cref="ArgumentException"><paramref name="columns"/> does not name every member once.</exception>
    public ColumnarLayout(IReadOnlyList<string>? columns = null)
    {
        var type = typeof(T);
        var members = Members(type);
        if (members.Count == 0) throw new NotSupportedException($"{type} has no public properties or fields to map to columns.");
        if (columns is not null)
        {
            if (columns.Count != members.Count)
            {
                throw new ArgumentException($"{columns.Count} column names given for the {members.Count} members of {type.Name} ({string.Join(", ", members.Select(m => m.Name))}).", nameof(columns));
            }
            if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Count || columns.Any(string.IsNullOrEmpty))
            {
                throw new ArgumentException("Column names are non-empty and distinct.", nameof(columns));
            }
        }
        Names = columns?.ToArray() ?? members.Select(m => m.Name).ToArray();
        MemberNames = members.Select(m => m.Name).ToArray();
        _memberTypes = members.Select(TypeOf).ToArray();
        for (int i = 0; i < _memberTypes.Length; i++)
        {
            if (ColumnBuffer.For(_memberTypes[i]) is null)
            {
                throw new NotSupportedException(
                    $"{type.Name}.{members[i].Name} has type {_memberTypes[i].Name}; columns map to int, long, float, double, bool, DateTime, decimal (or their nullable forms), string and byte[].");
            }
        }
        _fill = CompileFill(type, members);
        _build = CompileBuild(type, members);
    }

    /// <summary>The column names, in member order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The member names, in member order.</summary>
    public IReadOnlyList<string> MemberNames { get; }

    /// <summary>New buffers, one per member (each source or sink subtask has its own).</summary>
    public ColumnBuffer[] CreateBuffers() => _memberTypes.Select(t => ColumnBuffer.For(t)!).ToArray();

    /// <summary>Builds <paramref name="count"/> records from the first values of the buffers.</summary>
    public void Build(ColumnBuffer[] buffers, T[] into, int count) => _build(buffers, into, count);

    /// <summary>Copies the members of the first <paramref name="count"/> records into the buffers.</summary>
    public void Fill(T[] records, int count, ColumnBuffer[] buffers)
    {
        foreach (var b in buffers) b.EnsureCapacity(count);
        _fill(records, count, buffers);
    }

    private static List<MemberInfo> Members(Type type)
    {
        if (type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple`", StringComparison.Ordinal))
        {
            if (type.GetField("Rest") is not null) throw new NotSupportedException("Value tuples of more than 7 elements are not mapped to columns; use a record.");
            return type.GetFields().OrderBy(f => f.Name, StringComparer.Ordinal).Cast<MemberInfo>().ToList();
        }
        var props = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken).Cast<MemberInfo>();
        var fields = type.GetFields(BindingFlags.Public | BindingFlags.Instance).OrderBy(f => f.MetadataToken).Cast<MemberInfo>();
        return props.Concat(fields).ToList();
    }

    private static Type TypeOf(MemberInfo m) => m is PropertyInfo p ? p.PropertyType : ((FieldInfo)m).FieldType;

    private static Expression DataOf(ParameterExpression buffers, int i, Type memberType)
    {
        var bufferType = typeof(ColumnBuffer<>).MakeGenericType(memberType);
        return Expression.Field(Expression.Convert(Expression.ArrayIndex(buffers, Expression.Constant(i)), bufferType), "Data");
    }

    /// <summary>A counted loop <c>for (i = 0; i &lt; count; i++) body(i)</c>.</summary>
    private static Expression For(ParameterExpression i, ParameterExpression count, Expression body)
    {
        var end = Expression.Label("end");
        return Expression.Block(
            Expression.Assign(i, Expression.Constant(0)),
            Expression.Loop(
                Expression.IfThenElse(Expression.LessThan(i, count),
                    Expression.Block(body, Expression.PreIncrementAssign(i)),
                    Expression.Break(end)),
                end));
    }

    private static Action<T[], int, ColumnBuffer[]> CompileFill(Type type, List<MemberInfo> members)
    {
        var records = Expression.Parameter(typeof(T[]), "records");
        var count = Expression.Parameter(typeof(int), "count");
        var buffers = Expression.Parameter(typeof(ColumnBuffer[]), "buffers");
        var i = Expression.Variable(typeof(int), "i");
        var record = Expression.Variable(type, "record");
        var arrays = members.Select((m, k) => Expression.Variable(TypeOf(m).MakeArrayType(), "d" + k)).ToList();
        var body = new List<Expression>();
        for (int k = 0; k < members.Count; k++) body.Add(Expression.Assign(arrays[k], DataOf(buffers, k, TypeOf(members[k]))));
        var perRecord = new List<Expression> { Expression.Assign(record, Expression.ArrayIndex(records, i)) };
        if (!type.IsValueType)
        {
            perRecord.Add(Expression.IfThen(Expression.ReferenceEqual(record, Expression.Constant(null, type)),
                Expression.Throw(Expression.New(typeof(InvalidOperationException).GetConstructor([typeof(string)])!,
                    Expression.Constant($"A null {type.Name} cannot be written as a row.")))));
        }
        for (int k = 0; k < members.Count; k++)
        {
            perRecord.Add(Expression.Assign(Expression.ArrayAccess(arrays[k], i), Expression.MakeMemberAccess(record, members[k])));
        }
        body.Add(For(i, count, Expression.Block(perRecord)));
        var block = Expression.Block(arrays.Append(i).Append(record), body);
        return Expression.Lambda<Action<T[], int, ColumnBuffer[]>>(block, records, count, buffers).Compile();
    }

    private static Action<ColumnBuffer[], T[], int> CompileBuild(Type type, List<MemberInfo> members)
    {
        var buffers = Expression.Parameter(typeof(ColumnBuffer[]), "buffers");
        var into = Expression.Parameter(typeof(T[]), "into");
        var count = Expression.Parameter(typeof(int), "count");
        var i = Expression.Variable(typeof(int), "i");
        var result = Expression.Variable(type, "result");
        var arrays = members.Select((m, k) => Expression.Variable(TypeOf(m).MakeArrayType(), "d" + k)).ToList();
        var body = new List<Expression>();
        for (int k = 0; k < members.Count; k++) body.Add(Expression.Assign(arrays[k], DataOf(buffers, k, TypeOf(members[k]))));

        // The constructor whose parameters match members by name and type (a record's primary
        // constructor, a value tuple's), then any remaining settable member.
        var byName = members.Select((m, k) => (m, k)).ToDictionary(x => x.m.Name.ToLowerInvariant(), x => x.k);
        var ctor = type.GetConstructors()
            .Where(c => c.GetParameters().All(p => p.Name is not null && byName.TryGetValue(p.Name.ToLowerInvariant(), out int k) && TypeOf(members[k]) == p.ParameterType))
            .OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var perRecord = new List<Expression>();
        var assigned = new HashSet<int>();
        if (ctor is not null)
        {
            var args = ctor.GetParameters().Select(p =>
            {
                int k = byName[p.Name!.ToLowerInvariant()];
                assigned.Add(k);
                return (Expression)Expression.ArrayIndex(arrays[k], i);
            }).ToList();
            perRecord.Add(Expression.Assign(result, Expression.New(ctor, args)));
        }
        else if (type.IsValueType)
        {
            perRecord.Add(Expression.Assign(result, Expression.Default(type)));
        }
        else
        {
            throw new NotSupportedException($"{type} has no constructor matching its members and no parameterless one.");
        }
        for (int k = 0; k < members.Count; k++)
        {
            if (assigned.Contains(k)) continue;
            bool writable = members[k] is PropertyInfo p ? p.SetMethod is { IsPublic: true } : !((FieldInfo)members[k]).IsInitOnly;
            if (!writable) throw new NotSupportedException($"{type.Name}.{members[k].Name} can neither be passed to a constructor nor set.");
            perRecord.Add(Expression.Assign(Expression.MakeMemberAccess(result, members[k]), Expression.ArrayIndex(arrays[k], i)));
        }
        perRecord.Add(Expression.Assign(Expression.ArrayAccess(into, i), result));
        body.Add(For(i, count, Expression.Block(perRecord)));
        var block = Expression.Block(arrays.Append(i).Append(result), body);
        return Expression.Lambda<Action<ColumnBuffer[], T[], int>>(block, buffers, into, count).Compile();
    }
}
