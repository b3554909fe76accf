using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Aggregation;

/// <summary>
/// Folds every record of its input into one value and emits it when the input ends: a whole data set's aggregate, as
/// the combiner in every subtask (one partial value each) and as the single subtask that merges the partials.
/// </summary>
/// <typeparam name="TIn">Input records.</typeparam>
/// <typeparam name="TAcc">The folded value.</typeparam>
/// <param name="first">The value of the first record.</param>
/// <param name="add">Adds a later record to the value.</param>
/// <param name="empty">What is emitted for no record (an aggregate's identity), or null to emit nothing (a reduction).</param>
/// <param name="downstream">Where the value goes.</param>
/// <param name="info">Operator name and subtask.</param>
public sealed class FoldOperator<TIn, TAcc>(Func<TIn, TAcc> first, Func<TAcc, TIn, TAcc> add, Func<TAcc>? empty,
    Collector<TAcc> downstream, OperatorInfo info) : Collector<TIn>
{
    private TAcc _acc = default!;
    private bool _any;

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<TIn> batch)
    {
        if (batch.IsEmpty) return;
        try
        {
            int i = 0;
            var acc = _any ? _acc : first(batch[i++]);
            for (; i < batch.Length; i++) acc = add(acc, batch[i]);
            _acc = acc;
            _any = true;
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        if (!_any && empty is not null)
        {
            _acc = empty();
            _any = true;
        }
        if (_any) downstream.Push(new ReadOnlySpan<TAcc>(in _acc));
        _acc = default!;
        downstream.Close();
    }
}
