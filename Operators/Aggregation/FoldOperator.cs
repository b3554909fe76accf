using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Aggregation;

/// <summary>
/// Folds every record of its input into one value and emits it when the input ends: a whole data set's aggregate, as
/// the combiner in every subtask (one partial value each) and as the single subtask that merges the partials.
/// </summary>
/// <typeparam name="TIn">Input records.</typeparam>
/// <typeparam name="TAcc">The folded value.</typeparam>
public sealed class FoldOperator<TIn, TAcc> : Collector<TIn>
{
    private readonly Func<TAcc, TIn, TAcc>? _fold;
    private readonly Func<TIn, TIn, TIn>? _reduce;
    private readonly Collector<TAcc> _downstream;
    private readonly OperatorInfo _info;
    private readonly bool _emitEmpty;
    private TAcc _acc;
    private bool _any;

    /// <summary>Folds from <paramref name="identity"/> and always emits one value (the identity for no input).</summary>
    /// <param name="identity">The value of no records; must be an identity of the merge, since every subtask starts from it.</param>
    /// <param name="fold">Adds a record to the value.</param>
    /// <param name="downstream">Where the value goes.</param>
    /// <param name="info">Operator name and subtask.</param>
    public FoldOperator(TAcc identity, Func<TAcc, TIn, TAcc> fold, Collector<TAcc> downstream, OperatorInfo info)
    {
        _acc = identity;
        _fold = fold;
        _downstream = downstream;
        _info = info;
        _emitEmpty = true;
    }

    private FoldOperator(Func<TIn, TIn, TIn> reduce, Collector<TAcc> downstream, OperatorInfo info)
    {
        _acc = default!;
        _reduce = reduce;
        _downstream = downstream;
        _info = info;
    }

    /// <summary>Reduces the records pairwise; emits nothing for no input (<typeparamref name="TAcc"/> must be <typeparamref name="TIn"/>).</summary>
    public static FoldOperator<TIn, TAcc> Reducing(Func<TIn, TIn, TIn> reduce, Collector<TAcc> downstream, OperatorInfo info)
    {
        if (typeof(TAcc) != typeof(TIn)) throw new ArgumentException("A reduction emits records of its input's type.");
        return new FoldOperator<TIn, TAcc>(reduce, downstream, info);
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<TIn> batch)
    {
        if (batch.IsEmpty) return;
        try
        {
            if (_fold is { } fold)
            {
                var acc = _acc;
                foreach (ref readonly var r in batch) acc = fold(acc, r);
                _acc = acc;
            }
            else
            {
                var reduce = _reduce!;
                int i = 0;
                ref var acc = ref Unsafe.As<TAcc, TIn>(ref _acc); // TAcc is TIn (Reducing checks)
                if (!_any) acc = batch[i++];
                for (; i < batch.Length; i++) acc = reduce(acc, batch[i]);
            }
            _any = true;
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        if (_any || _emitEmpty) _downstream.Push(new ReadOnlySpan<TAcc>(in _acc));
        _acc = default!;
        _downstream.Close();
    }
}
