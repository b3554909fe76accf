using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>Groups both inputs by key and calls a user function once per key present in either (<c>CoGroup</c>).</summary>
public sealed class CoGroupOperator<T1, T2, TKey, TOut>
{
    private readonly Func<T1, TKey> _key1;
    private readonly Func<T2, TKey> _key2;
    private readonly Func<TKey, IReadOnlyList<T1>, IReadOnlyList<T2>, IEnumerable<TOut>> _result;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly OpenHashMap<TKey, (List<T1>? First, List<T2>? Second)> _groups = new(1024);
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
        First = new Input<T1>(this, (op, x) => (op._groups.GetValueRefOrAddDefault(op._key1(x), out _).First ??= new()).Add(x));
        Second = new Input<T2>(this, (op, x) => (op._groups.GetValueRefOrAddDefault(op._key2(x), out _).Second ??= new()).Add(x));
    }

    /// <summary>The first input.</summary>
    public Collector<T1> First { get; }

    /// <summary>The second input.</summary>
    public Collector<T2> Second { get; }

    private void InputEnded()
    {
        if (--_open > 0) return;
        var buffer = new BatchBuffer<TOut>(_info.BatchSize);
        var keys = _groups.Keys;
        var groups = _groups.Values;
        for (int i = 0; i < keys.Length; i++)
        {
            List<TOut> results;
            try
            {
                results = _result(keys[i], (IReadOnlyList<T1>?)groups[i].First ?? [], (IReadOnlyList<T2>?)groups[i].Second ?? []).ToList();
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
