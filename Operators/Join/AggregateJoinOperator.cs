using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>
/// An inner or left outer hash join whose build side is the final stage of a combinable aggregation on the join's key
/// (<c>a.LeftOuterJoin(b.GroupBy(k).Sum(…), …)</c>): the partial accumulators are merged into the aggregation's own table
/// (<see cref="GroupTable{TKey, TAcc}"/>, a dense array over small integer keys) and the probe side looks its keys up there.
/// No aggregate record is written to a batch, no second table is built from them, no task runs between the two. The
/// planner chooses it; the output is what the aggregation followed by the join would emit.
/// </summary>
/// <remarks>PageRank's outer join of the ranks with the summed contributions probes the sums' dense array.</remarks>
public sealed class AggregateJoinOperator<TProbe, TKey, TAcc, TBuild, TOut> : BuildProbeOperator<TProbe, (TKey Key, TAcc Acc), TOut>
{
    private readonly Func<TProbe, TKey> _probeKey;
    private readonly Func<TAcc, TAcc, TAcc> _merge;
    private readonly Func<TKey, TAcc, TBuild> _aggregate;
    private readonly Func<TProbe, TBuild, TOut> _result;
    private readonly bool _outer;
    private readonly GroupTable<TKey, TAcc> _groups;
    private BatchBuffer<TOut> _out;

    /// <summary>Creates the operator.</summary>
    /// <param name="probeKey">Join key of a probe record.</param>
    /// <param name="merge">Merges two partial accumulators of a key (the aggregation's merge).</param>
    /// <param name="aggregate">The aggregation's output record of a key and its accumulator: the join's build record.</param>
    /// <param name="result">The join's result of a probe record and its build record (<c>default</c> when unmatched, outer only).</param>
    /// <param name="outer">Keep unmatched probe records (left outer join).</param>
    /// <param name="downstream">Where results go.</param>
    /// <param name="info">Operator name and subtask.</param>
    public AggregateJoinOperator(Func<TProbe, TKey> probeKey, Func<TAcc, TAcc, TAcc> merge, Func<TKey, TAcc, TBuild> aggregate,
        Func<TProbe, TBuild, TOut> result, bool outer, Collector<TOut> downstream, OperatorInfo info) : base(downstream, info)
    {
        _probeKey = probeKey;
        _merge = merge;
        _aggregate = aggregate;
        _result = result;
        _outer = outer;
        _groups = GroupTable<TKey, TAcc>.For(info.Scratch);
        _out = new BatchBuffer<TOut>(info.BatchSize);
    }

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<(TKey Key, TAcc Acc)> batch)
    {
        var groups = _groups;
        var merge = _merge;
        try
        {
            foreach (ref readonly var p in batch)
            {
                if (p.Key is null) continue; // its group would match nothing (as in Enumerable.Join)
                ref var acc = ref groups.Find(p.Key, out bool exists);
                acc = exists ? merge(acc, p.Acc) : p.Acc;
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    protected override void OnProbe(ReadOnlySpan<TProbe> batch)
    {
        var groups = _groups;
        try
        {
            foreach (ref readonly var p in batch)
            {
                var k = _probeKey(p);
                if (k is not null && groups.TryGet(k, out var acc))
                {
                    _out.Add(_result(p, _aggregate(k, acc)), Downstream);
                }
                else if (_outer)
                {
                    _out.Add(_result(p, default!), Downstream);
                }
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    protected override void OnEnd()
    {
        _out.Flush(Downstream);
        Downstream.Close();
    }
}
