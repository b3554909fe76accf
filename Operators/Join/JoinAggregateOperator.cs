using System.Runtime.CompilerServices;
using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>
/// An inner hash join fused with the combinable aggregation that consumes it (<c>a.Join(b, …).GroupBy(k).Sum(…)</c>):
/// every match is folded straight into its group's accumulator, with no intermediate record written to a batch and
/// no operator boundary in between. Per match it calls only the user's functions: the join's result, the grouping key
/// and the fold. The planner chooses it (<c>Explain()</c> shows <c>fused</c>); the output is what the join followed
/// by the combiner would emit.
/// </summary>
/// <remarks>
/// Over small integer keys (vertex ids) the accumulators are a dense array (<see cref="GroupTable{TKey, TAcc}"/>), so
/// PageRank's contributions are summed per edge into an array slot, as a hand-written loop would. The build side may be
/// a loop-invariant index kept across supersteps, exactly as for <see cref="HashJoinOperator{TProbe, TBuild, TKey, TOut}"/>.
/// </remarks>
public sealed class JoinAggregateOperator<TProbe, TBuild, TJoinKey, TMid, TKey, TAcc> : BuildProbeOperator<TProbe, TBuild, (TKey Key, TAcc Acc)>
{
    private readonly Func<TProbe, TJoinKey> _probeKey;
    private readonly Func<TBuild, TJoinKey> _buildKey;
    private readonly Func<TProbe, TBuild, TMid> _result;
    private readonly Func<TMid, TKey> _key;
    private readonly Func<TMid, TAcc> _create;
    private readonly Func<TAcc, TMid, TAcc> _add;
    private readonly int _spillAt;
    private readonly JoinIndex<TJoinKey, TBuild> _index;
    private readonly GroupTable<TKey, TAcc> _groups;
    private readonly KeyOrderedBuffer<TProbe>? _gathered;
    private long _directRange = -1; // decided at the first probe: > 0 gathers the probes and folds them in key order

    /// <summary>Creates the operator.</summary>
    /// <param name="probeKey">Join key of a probe record.</param>
    /// <param name="buildKey">Join key of a build record.</param>
    /// <param name="result">The join's result of a matching pair: the record the aggregation folds.</param>
    /// <param name="key">Grouping key of a result.</param>
    /// <param name="create">Accumulator of a group's first result.</param>
    /// <param name="add">Folds another result into the accumulator.</param>
    /// <param name="spillAt">Emit and clear when this many keys are hashed (a combiner's bound).</param>
    /// <param name="downstream">Where the <c>(key, accumulator)</c> pairs go.</param>
    /// <param name="info">Operator name and subtask.</param>
    public JoinAggregateOperator(Func<TProbe, TJoinKey> probeKey, Func<TBuild, TJoinKey> buildKey, Func<TProbe, TBuild, TMid> result,
        Func<TMid, TKey> key, Func<TMid, TAcc> create, Func<TAcc, TMid, TAcc> add, int spillAt,
        Collector<(TKey Key, TAcc Acc)> downstream, OperatorInfo info) : base(downstream, info)
    {
        _probeKey = probeKey;
        _buildKey = buildKey;
        _result = result;
        _key = key;
        _create = create;
        _add = add;
        _spillAt = spillAt;
        _groups = GroupTable<TKey, TAcc>.For(info.Scratch);
        _index = new JoinIndex<TJoinKey, TBuild>(info);
        if (info.StaticState is not null && info.Scratch is { } scratch)
        {
            _gathered = scratch.Keep(static () => new KeyOrderedBuffer<TProbe>(), out _);
            _gathered.Clear();
        }
        if (_index.Prebuilt) Build.Close();
    }

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<TBuild> batch)
    {
        try
        {
            _index.Add(batch, _buildKey);
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    protected override void OnBuildEnd() => _index.Freeze();

    /// <inheritdoc />
    /// <remarks>
    /// Against a loop-invariant index addressed directly by integer keys (laid out in ascending key order), the probes are
    /// only gathered here and folded at the end in key order (<see cref="KeyOrderedBuffer{T}"/>): the index is then read
    /// front to back instead of at a random place per probe (PageRank: docs/benchmarks.md).
    /// </remarks>
    protected override void OnProbe(ReadOnlySpan<TProbe> batch)
    {
        if (_directRange < 0) _directRange = _gathered is null ? 0 : _index.DirectRange;
        if (_directRange == 0)
        {
            Fold(batch);
            return;
        }
        var gathered = _gathered!;
        var probeKey = _probeKey;
        long range = _directRange;
        try
        {
            foreach (ref readonly var p in batch)
            {
                var k = probeKey(p);
                if (k is null) continue;
                long v = typeof(TJoinKey) == typeof(int) ? Unsafe.As<TJoinKey, int>(ref k) : Unsafe.As<TJoinKey, long>(ref k);
                if ((ulong)v < (ulong)range) gathered.Add(p, (int)v); // any other key matches nothing in the index
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <summary>
    /// Joins probes with the index and folds every match into its group. Over integer grouping keys while they fit the
    /// dense table, the accumulator and presence arrays are held in locals for the whole batch (a field read per match kept
    /// them in memory, not in registers); any other key goes through the table.
    /// </summary>
    private void Fold(ReadOnlySpan<TProbe> batch)
    {
        var index = _index;
        var groups = _groups;
        var result = _result;
        var key = _key;
        var add = _add;
        var create = _create;
        var probeKey = _probeKey;
        bool integerKeys = typeof(TKey) == typeof(long) || typeof(TKey) == typeof(int);
        var dense = integerKeys ? groups.Dense : null;
        TAcc[] values = dense?.Values ?? [];
        bool[] present = dense?.Present ?? [];
        int added = 0;
        long max = -1;
        try
        {
            foreach (ref readonly var p in batch)
            {
                foreach (ref readonly var b in index.ValuesOf(probeKey(p)))
                {
                    var mid = result(p, b);
                    var k = key(mid);
                    long slot = integerKeys ? GroupTable<TKey, TAcc>.ToLong(k) : -1;
                    if ((ulong)slot < (ulong)present.Length)
                    {
                        ref var acc = ref values[slot];
                        if (present[slot])
                        {
                            acc = add(acc, mid);
                        }
                        else
                        {
                            present[slot] = true;
                            acc = create(mid);
                            added++;
                            if (slot > max) max = slot;
                        }
                        continue;
                    }
                    if (dense is not null)
                    {
                        // Beyond the arrays: the table grows them, or leaves the dense form (then every key comes this way).
                        dense.Added(added, max);
                        added = 0;
                        max = -1;
                    }
                    ref var other = ref groups.Find(k, out bool exists);
                    other = exists ? add(other, mid) : create(mid);
                    if (dense is not null)
                    {
                        dense = groups.Dense;
                        values = dense?.Values ?? [];
                        present = dense?.Present ?? [];
                    }
                }
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
        finally
        {
            dense?.Added(added, max);
        }
        if (groups.HashedCount >= _spillAt) groups.EmitAll(static (k, a) => (k, a), Downstream, Info);
    }

    /// <inheritdoc />
    protected override void OnEnd()
    {
        if (_gathered is { Count: > 0 } gathered)
        {
            Fold(gathered.InKeyOrder((int)_directRange));
            gathered.Clear();
        }
        _groups.EmitAll(static (k, a) => (k, a), Downstream, Info);
        _groups.Release(Info.Scratch);
        Downstream.Close();
    }
}
