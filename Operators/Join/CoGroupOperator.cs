using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>Groups both inputs by key and calls a user function once per key present in either (<c>CoGroup</c>).</summary>
/// <remarks>
/// Each side's records are laid out per key in a multimap, and the user function gets each group as a list over that
/// layout (no list per key is built). Inside an iteration a loop-invariant second side is grouped in the first
/// superstep only and its groups kept per key group (<see cref="OperatorInfo.StaticState"/>), as a join keeps its table:
/// a later superstep groups only the changing first side. The lists handed out are never written again, so a result
/// may keep them.
/// </remarks>
public sealed class CoGroupOperator<T1, T2, TKey, TOut>
{
    private static readonly IReadOnlyList<T1> NoFirst = Array.Empty<T1>();
    private static readonly IReadOnlyList<T2> NoSecond = Array.Empty<T2>();
    private readonly Func<T1, TKey> _key1;
    private readonly Func<T2, TKey> _key2;
    private readonly Func<TKey, IReadOnlyList<T1>, IReadOnlyList<T2>, IEnumerable<TOut>> _result;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly HashMultiMap<TKey, T1> _first = new();
    // The second side: grouped per run, or kept across supersteps (then filled in the first one only).
    private readonly HashMultiMap<TKey, T2>? _second;
    private readonly KeyGroupedMultiMap<TKey, T2>? _kept;
    private int _open = 2;

    /// <summary>Creates the operator.</summary>
    public CoGroupOperator(Func<T1, TKey> key1, Func<T2, TKey> key2,
        Func<TKey, IReadOnlyList<T1>, IReadOnlyList<T2>, IEnumerable<TOut>> result, Collector<TOut> downstream, OperatorInfo info)
    {
        _key1 = key1;
        _key2 = key2;
        _result = result;
        _downstream = downstream;
        _info = info;
        if (info.StaticState is { } slot)
        {
            if (slot.Value is KeyGroupedMultiMap<TKey, T2> kept)
            {
                _kept = kept;
                _open = 1; // its input does not run again
            }
            else
            {
                _kept = new KeyGroupedMultiMap<TKey, T2>(info.MaxParallelism);
            }
        }
        else
        {
            _second = new HashMultiMap<TKey, T2>();
        }
        First = new Input<T1>(this, (op, x) => op._first.Add(op._key1(x), x));
        Second = new Input<T2>(this, (op, x) =>
        {
            var k = op._key2(x);
            if (op._second is { } second) second.Add(k, x);
            else op._kept!.Add(k, x);
        });
    }

    /// <summary>The first input.</summary>
    public Collector<T1> First { get; }

    /// <summary>The second input.</summary>
    public Collector<T2> Second { get; }

    private void InputEnded()
    {
        if (--_open > 0) return;
        if (_kept is not null && _info.StaticState is { Value: null } slot)
        {
            _kept.Freeze();
            slot.Value = _kept;
        }
        var buffer = new BatchBuffer<TOut>(_info.BatchSize);
        try
        {
            // Every key of the first side with its second group, then the keys only the second side has.
            foreach (var k in _first.FrozenKeys) Emit(ref buffer, k, _first.SegmentOf(k), SecondOf(k));
            if (_second is not null) EmitSecondOnly(ref buffer, _second);
            else
            {
                foreach (var table in _kept!.Tables) EmitSecondOnly(ref buffer, table);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
        buffer.Flush(_downstream);
        _downstream.Close();
    }

    private IReadOnlyList<T2> SecondOf(TKey key)
    {
        var s = _second is not null ? _second.SegmentOf(key) : _kept!.SegmentOf(key);
        return s.Count == 0 ? NoSecond : s;
    }

    private void EmitSecondOnly(ref BatchBuffer<TOut> buffer, HashMultiMap<TKey, T2> second)
    {
        foreach (var k in second.FrozenKeys)
        {
            if (_first.SegmentOf(k).Count == 0) Emit(ref buffer, k, NoFirst, second.SegmentOf(k));
        }
    }

    private void Emit(ref BatchBuffer<TOut> buffer, TKey key, IReadOnlyList<T1> first, IReadOnlyList<T2> second)
    {
        foreach (var r in _result(key, first, second)) buffer.Add(r, _downstream);
    }

    private sealed class Input<T>(CoGroupOperator<T1, T2, TKey, TOut> op, Action<CoGroupOperator<T1, T2, TKey, TOut>, T> add) : Collector<T>
    {
        public override void Push(ReadOnlySpan<T> batch)
        {
            try
            {
                foreach (ref readonly var x in batch) add(op, x);
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                op._info.Throw(e);
            }
        }

        public override void Close() => op.InputEnded();
    }
}
