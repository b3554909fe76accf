using System.Runtime.CompilerServices;
using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Basic;
using Dataflow.Operators.Core;
using Dataflow.Plan;
using Dataflow.Runtime.Records;

namespace Dataflow;

/// <summary>
/// An immutable handle on a distributed collection of records. Operators return new handles;
/// nothing runs until a sink such as <see cref="CollectAsync"/> is awaited.
/// </summary>
/// <remarks>
/// The planner reuses an existing hash partitioning when a later operator needs the same key; keys
/// are compared by delegate, so pass the same key selector instance (keep it in a variable) to get
/// that reuse.
/// </remarks>
/// <typeparam name="T">The record type. Value types (record structs, value tuples) are the fast path.</typeparam>
public sealed partial class DataSet<T>
{
    internal DataSet(Node<T> node) => Node = node;

    internal Node<T> Node { get; }

    /// <summary>The environment this data set belongs to.</summary>
    public DataflowEnvironment Environment => Node.Env;

    /// <summary>Number of subtasks that produce this data set.</summary>
    public int Parallelism => Node.Parallelism;

    private static string Label(string op, string? expression) =>
        string.IsNullOrEmpty(expression) || expression.Length > 60 ? op : $"{op}({expression})";

    /// <summary>Applies <paramref name="selector"/> to every record.</summary>
    /// <example><code>var lengths = words.Select(w => w.Length);</code></example>
    public DataSet<TResult> Select<TResult>(Func<T, TResult> selector, [CallerArgumentExpression(nameof(selector))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new(new OperatorNode<T, TResult>(Node, Label("Select", name), Requirement<T>.Any,
            (down, info) => new MapOperator<T, TResult>(selector, down, info)));
    }

    /// <summary>Keeps the records for which <paramref name="predicate"/> is true. Keeps the input's partitioning.</summary>
    public DataSet<T> Where(Func<T, bool> predicate, [CallerArgumentExpression(nameof(predicate))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new(new OperatorNode<T, T>(Node, Label("Where", name), Requirement<T>.Any,
            (down, info) => new FilterOperator<T>(predicate, down, info), Node.PartitionedBy));
    }

    /// <summary>Maps every record to a sequence and flattens the sequences.</summary>
    public DataSet<TResult> SelectMany<TResult>(Func<T, IEnumerable<TResult>> selector, [CallerArgumentExpression(nameof(selector))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new(new OperatorNode<T, TResult>(Node, Label("SelectMany", name), Requirement<T>.Any,
            (down, info) => new FlatMapOperator<T, TResult>(selector, down, info)));
    }

    /// <summary>Maps every record to zero or more records emitted through an <see cref="Emitter{T}"/> (no enumerator per record).</summary>
    public DataSet<TResult> FlatMap<TResult>(Action<T, Emitter<TResult>> flatMap, [CallerArgumentExpression(nameof(flatMap))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(flatMap);
        return new(new OperatorNode<T, TResult>(Node, Label("FlatMap", name), Requirement<T>.Any,
            (down, info) => new FlatMapOperator<T, TResult>(flatMap, down, info)));
    }

    /// <summary>Groups records by key for an aggregation that follows.</summary>
    /// <example><code>var counts = words.GroupBy(w => w).Count();</code></example>
    public GroupedDataSet<T, TKey> GroupBy<TKey>(Func<T, TKey> key, [CallerArgumentExpression(nameof(key))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(this, key, name ?? "key");
    }

    /// <summary>Removes duplicate records (by <see cref="EqualityComparer{T}.Default"/>).</summary>
    public DataSet<T> Distinct() => DistinctBy(static x => x, "record");

    /// <summary>Keeps one record per key (which one is not specified when several subtasks hold the key).</summary>
    public DataSet<T> DistinctBy<TKey>(Func<T, TKey> key, [CallerArgumentExpression(nameof(key))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var label = Label("Distinct", name);
        var input = Node;
        if (!IsPartitionedOn(key))
        {
            input = new OperatorNode<T, T>(Node, $"Combine({label})", Requirement<T>.Any,
                (down, info) => new DistinctOperator<T, TKey>(key, down, info, forgetAt: 1 << 16), parallelism: Node.Parallelism);
        }
        return new(new OperatorNode<T, T>(input, label, new HashRequirement<T, TKey>(key, name ?? "key"),
            (down, info) => new DistinctOperator<T, TKey>(key, down, info), key));
    }

    /// <summary>
    /// Folds the whole data set into one value: each subtask folds its records from <paramref name="identity"/> (a combiner,
    /// no exchange of records), and one subtask merges the partial values. The result holds exactly one record, so it is
    /// cheap to broadcast (<c>WithBroadcast</c>); as Spark's <c>aggregate</c> and Flink's non-grouped <c>reduce</c>.
    /// </summary>
    /// <param name="identity">
    /// The value of no records; must be an identity of <paramref name="merge"/> (every subtask starts from it), such as 0 for
    /// a sum. Every subtask and every run starts from this same value: for an accumulator that <paramref name="fold"/>
    /// changes in place (an array of counts), use the overload that takes a factory.
    /// </param>
    /// <param name="fold">Adds a record to a value.</param>
    /// <param name="merge">Combines two partial values; associative and commutative.</param>
    /// <example><code>var danglingMass = ranks.Where(r => r.Dangling).Aggregate(0.0, (s, r) => s + r.Value, (a, b) => a + b);</code></example>
    public DataSet<TAcc> Aggregate<TAcc>(TAcc identity, Func<TAcc, T, TAcc> fold, Func<TAcc, TAcc, TAcc> merge) =>
        FoldAll(() => identity, fold, merge);

    /// <summary>
    /// Like <see cref="Aggregate{TAcc}(TAcc, Func{TAcc, T, TAcc}, Func{TAcc, TAcc, TAcc})"/>, but every subtask starts from
    /// a new value made by <paramref name="identity"/>: an accumulator the fold may change in place.
    /// </summary>
    /// <example><code>var histogram = xs.Aggregate(() => new long[10], (h, x) => { h[x.Bin]++; return h; }, (a, b) => { for (int i = 0; i &lt; 10; i++) a[i] += b[i]; return a; });</code></example>
    public DataSet<TAcc> Aggregate<TAcc>(Func<TAcc> identity, Func<TAcc, T, TAcc> fold, Func<TAcc, TAcc, TAcc> merge)
    {
        ArgumentNullException.ThrowIfNull(identity);
        return FoldAll(identity, fold, merge);
    }

    private DataSet<TAcc> FoldAll<TAcc>(Func<TAcc> identity, Func<TAcc, T, TAcc> fold, Func<TAcc, TAcc, TAcc> merge)
    {
        ArgumentNullException.ThrowIfNull(fold);
        ArgumentNullException.ThrowIfNull(merge);
        // Each operator folds from a value of its own (a factory's, when the fold changes it in place).
        return Whole<TAcc>("Aggregate",
            (down, info) => new FoldOperator<T, TAcc>(r => fold(identity(), r), fold, identity, down, info),
            (down, info) => new FoldOperator<TAcc, TAcc>(static a => a, merge, identity, down, info));
    }

    /// <summary>
    /// Reduces the whole data set to one record with <paramref name="reduce"/> (associative and commutative): each subtask
    /// reduces its records, one subtask the partial results. No record for an empty data set.
    /// </summary>
    /// <example><code>var latest = visits.Reduce((a, b) => a.Time >= b.Time ? a : b);</code></example>
    public DataSet<T> Reduce(Func<T, T, T> reduce)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        return Whole<T>("Reduce",
            (down, info) => new FoldOperator<T, T>(static r => r, reduce, null, down, info),
            (down, info) => new FoldOperator<T, T>(static r => r, reduce, null, down, info));
    }

    /// <summary>A whole data set's fold: <paramref name="partial"/> in every subtask, <paramref name="total"/> in one (fixed at parallelism 1 under rescaling).</summary>
    private DataSet<TAcc> Whole<TAcc>(string name, Func<Collector<TAcc>, OperatorInfo, Collector<T>> partial,
        Func<Collector<TAcc>, OperatorInfo, Collector<TAcc>> total)
    {
        var partials = new OperatorNode<T, TAcc>(Node, $"{name}(partial)", Requirement<T>.Any, partial, parallelism: Node.Parallelism);
        return new(new OperatorNode<TAcc, TAcc>(partials, name, Requirement<TAcc>.Any, total, parallelism: 1) { FixedParallelism = true });
    }

    internal bool IsPartitionedOn(Delegate key) =>
        Node.Parallelism == Node.Env.Parallelism && KeySelectors.Same(Node.PartitionedBy, key);

    /// <summary>All records of this data set and of <paramref name="other"/> (duplicates kept).</summary>
    public DataSet<T> Union(DataSet<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(new UnionNode<T>([Node, other.Node]));
    }

    /// <summary>Hash partitions records by key into key groups (docs/architecture.md §4); later keyed operators on the same selector reuse it.</summary>
    public DataSet<T> PartitionByHash<TKey>(Func<T, TKey> key, [CallerArgumentExpression(nameof(key))] string? name = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new(new OperatorNode<T, T>(Node, Label("PartitionByHash", name), new HashRequirement<T, TKey>(key, name ?? "key"),
            (down, info) => new IdentityOperator<T>(down), key));
    }

    /// <summary>Spreads records evenly over all subtasks, round-robin by batch.</summary>
    public DataSet<T> Rebalance() =>
        new(new OperatorNode<T, T>(Node, "Rebalance", Requirement<T>.Rebalance, (down, info) => new IdentityOperator<T>(down)));

    /// <summary>Describes the physical plan that computes this data set: tasks with their chained operators and the exchanges between them.</summary>
    public string Explain() => new JobCompiler([Node]).Explain();
}
