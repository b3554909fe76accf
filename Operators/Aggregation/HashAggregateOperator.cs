using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Aggregation;

/// <summary>
/// Groups records by key in an open-addressing table and folds each group into an accumulator;
/// emits one record per key when the input ends. The same operator serves as the combiner before
/// an exchange (emitting partial accumulators, and spilling them early when the table grows past
/// <c>spillAt</c> keys), as the merger after it, and as a one-phase aggregate on pre-partitioned input.
/// </summary>
public sealed class HashAggregateOperator<TIn, TKey, TAcc, TOut> : Collector<TIn>
{
    private readonly Func<TIn, TKey> _key;
    private readonly Func<TIn, TAcc> _create;
    private readonly Func<TAcc, TIn, TAcc> _add;
    private readonly Func<TKey, TAcc, TOut> _emit;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly int _spillAt;
    private readonly GroupTable<TKey, TAcc> _groups;

    /// <summary>Creates the operator.</summary>
    /// <param name="key">Key of an input record.</param>
    /// <param name="create">Accumulator of a group's first record.</param>
    /// <param name="add">Folds another record into the accumulator.</param>
    /// <param name="emit">Output record of a finished group.</param>
    /// <param name="downstream">Where results go.</param>
    /// <param name="info">Operator name and subtask.</param>
    /// <param name="spillAt">Emit and clear when the table holds this many keys (combiners only; <see cref="int.MaxValue"/> otherwise).</param>
    public HashAggregateOperator(Func<TIn, TKey> key, Func<TIn, TAcc> create, Func<TAcc, TIn, TAcc> add,
        Func<TKey, TAcc, TOut> emit, Collector<TOut> downstream, OperatorInfo info, int spillAt = int.MaxValue)
    {
        _key = key;
        _create = create;
        _add = add;
        _emit = emit;
        _downstream = downstream;
        _info = info;
        _spillAt = spillAt;
        _groups = GroupTable<TKey, TAcc>.For(info.Scratch);
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<TIn> batch)
    {
        var groups = _groups;
        try
        {
            foreach (ref readonly var x in batch)
            {
                ref var acc = ref groups.Find(_key(x), out bool exists);
                acc = exists ? _add(acc, x) : _create(x);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
        if (groups.HashedCount >= _spillAt) groups.EmitAll(_emit, _downstream, _info);
    }

    /// <inheritdoc />
    public override void Close()
    {
        _groups.EmitAll(_emit, _downstream, _info);
        _groups.Release(_info.Scratch);
        _downstream.Close();
    }
}

/// <summary>Collects each key's records into a list and hands the group to a user function (<c>ReduceGroup</c>).</summary>
public sealed class GroupReduceOperator<T, TKey, TOut> : Collector<T>
{
    private readonly Func<T, TKey> _key;
    private readonly Func<TKey, IReadOnlyList<T>, IEnumerable<TOut>> _reduce;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly OpenHashMap<TKey, List<T>> _groups = new(1024);

    /// <summary>Creates the operator.</summary>
    public GroupReduceOperator(Func<T, TKey> key, Func<TKey, IReadOnlyList<T>, IEnumerable<TOut>> reduce,
        Collector<TOut> downstream, OperatorInfo info)
    {
        _key = key;
        _reduce = reduce;
        _downstream = downstream;
        _info = info;
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        try
        {
            foreach (ref readonly var x in batch)
            {
                ref var list = ref _groups.GetValueRefOrAddDefault(_key(x), out bool exists);
                if (!exists) list = new List<T>();
                list.Add(x);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        var buffer = new BatchBuffer<TOut>(_info.BatchSize);
        var keys = _groups.Keys;
        var values = _groups.Values;
        for (int i = 0; i < keys.Length; i++)
        {
            IEnumerable<TOut> results;
            try
            {
                results = _reduce(keys[i], values[i]).ToList();
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
                throw;
            }
            foreach (var r in results) buffer.Add(r, _downstream);
        }
        buffer.Flush(_downstream);
        _groups.Clear();
        _downstream.Close();
    }
}
