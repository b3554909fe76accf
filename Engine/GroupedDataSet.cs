using System.Numerics;
using Dataflow.Operators.Aggregation;
using Dataflow.Plan;

namespace Dataflow;

/// <summary>A data set grouped by key, waiting for an aggregation.</summary>
/// <remarks>
/// Combinable aggregations (<see cref="Reduce"/>, <see cref="Aggregate{TAcc, TResult}"/>, <see cref="Count"/>,
/// <see cref="Sum{TValue}"/>, <see cref="Min{TValue}"/>, <see cref="Max{TValue}"/>) run a combiner before the
/// exchange, so only one partial value per key and subtask crosses it.
/// </remarks>
public sealed class GroupedDataSet<T, TKey>
{
    private readonly DataSet<T> _input;
    private readonly Func<T, TKey> _key;
    private readonly string _keyName;

    internal GroupedDataSet(DataSet<T> input, Func<T, TKey> key, string keyName)
    {
        _input = input;
        _key = key;
        _keyName = keyName;
    }

    /// <summary>Folds each group with an associative function; the result keeps the input's key and partitioning.</summary>
    /// <example><code>var maxPerUser = visits.GroupBy(v => v.User).Reduce((a, b) => a.Time > b.Time ? a : b);</code></example>
    public DataSet<T> Reduce(Func<T, T, T> reduce)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        return Combinable(static x => x, reduce, reduce, static (_, acc) => acc, "Reduce", _key);
    }

    /// <summary>
    /// A general combinable aggregation: <paramref name="create"/> starts an accumulator from a group's
    /// first record, <paramref name="add"/> folds in more records, <paramref name="merge"/> combines two
    /// partial accumulators (it must be associative), and <paramref name="result"/> makes the output.
    /// </summary>
    public DataSet<TResult> Aggregate<TAcc, TResult>(Func<T, TAcc> create, Func<TAcc, T, TAcc> add,
        Func<TAcc, TAcc, TAcc> merge, Func<TKey, TAcc, TResult> result) =>
        Combinable(create, add, merge, result, "Aggregate", null);

    private DataSet<TResult> Combinable<TAcc, TResult>(Func<T, TAcc> create, Func<TAcc, T, TAcc> add,
        Func<TAcc, TAcc, TAcc> merge, Func<TKey, TAcc, TResult> result, string name, Delegate? partitionedBy)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(merge);
        ArgumentNullException.ThrowIfNull(result);
        var key = _key;
        var node = _input.Node;
        if (_input.IsPartitionedOn(key))
        {
            return new(new OperatorNode<T, TResult>(node, name, Requirement<T>.Any,
                (down, info) => new HashAggregateOperator<T, TKey, TAcc, TResult>(key, create, add, result, down, info),
                partitionedBy));
        }
        var combine = new CombineNode<T, TKey, TAcc>(node, $"Combine({name})", key, create, add, spillAt: 1 << 16);
        return new(new MergeNode<TKey, TAcc, TResult>(combine, name, _keyName, merge, result, partitionedBy));
    }

    /// <summary>
    /// The partitioning of a <c>(Key, Value)</c> aggregate: hash on its key, as the input was exchanged; a later join or
    /// grouping on <c>p => p.Key</c> reuses it (<see cref="KeySelectors"/>).
    /// </summary>
    private static Func<(TKey Key, TValue Value), TKey> ByKey<TValue>() => static p => p.Key;

    /// <summary>Hands all records of each group to <paramref name="reduce"/> (not combinable: every record crosses the exchange).</summary>
    public DataSet<TResult> ReduceGroup<TResult>(Func<TKey, IReadOnlyList<T>, IEnumerable<TResult>> reduce)
    {
        ArgumentNullException.ThrowIfNull(reduce);
        var key = _key;
        return new(new OperatorNode<T, TResult>(_input.Node, "ReduceGroup", new HashRequirement<T, TKey>(key, _keyName),
            (down, info) => new GroupReduceOperator<T, TKey, TResult>(key, reduce, down, info)));
    }

    /// <summary>The number of records per key.</summary>
    public DataSet<(TKey Key, long Count)> Count() =>
        Combinable(static _ => 1L, static (a, _) => a + 1, static (a, b) => a + b, static (k, a) => (k, a), "Count", ByKey<long>());

    /// <summary>The sum of <paramref name="selector"/> per key.</summary>
    public DataSet<(TKey Key, TValue Sum)> Sum<TValue>(Func<T, TValue> selector) where TValue : INumber<TValue>
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Combinable(selector, (a, x) => a + selector(x), static (a, b) => a + b, static (k, a) => (k, a), "Sum", ByKey<TValue>());
    }

    /// <summary>The minimum of <paramref name="selector"/> per key.</summary>
    public DataSet<(TKey Key, TValue Min)> Min<TValue>(Func<T, TValue> selector) where TValue : INumber<TValue>
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Combinable(selector, (a, x) => TValue.Min(a, selector(x)), static (a, b) => TValue.Min(a, b), static (k, a) => (k, a), "Min", ByKey<TValue>());
    }

    /// <summary>The maximum of <paramref name="selector"/> per key.</summary>
    public DataSet<(TKey Key, TValue Max)> Max<TValue>(Func<T, TValue> selector) where TValue : INumber<TValue>
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Combinable(selector, (a, x) => TValue.Max(a, selector(x)), static (a, b) => TValue.Max(a, b), static (k, a) => (k, a), "Max", ByKey<TValue>());
    }
}
