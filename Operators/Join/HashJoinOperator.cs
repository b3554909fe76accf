using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>
/// Equi-join by hashing the build side into a multimap and streaming the probe side through it.
/// Inner join, or left outer join on the probe side (unmatched probe records meet <c>default</c>).
/// </summary>
public sealed class HashJoinOperator<TProbe, TBuild, TKey, TOut> : BuildProbeOperator<TProbe, TBuild, TOut>
{
    private readonly Func<TProbe, TKey> _probeKey;
    private readonly Func<TBuild, TKey> _buildKey;
    private readonly Func<TProbe, TBuild, TOut> _result;
    private readonly bool _outer;
    // Exactly one of the two: a plain multimap, or, when the build side is cached across
    // supersteps, one per key group (so that a rescale moves key groups, not records).
    private readonly HashMultiMap<TKey, TBuild>? _table;
    private readonly KeyGroupedMultiMap<TKey, TBuild>? _grouped;
    private readonly bool _prebuilt;
    private BatchBuffer<TOut> _buffer;

    /// <summary>Creates the operator.</summary>
    /// <param name="probeKey">Key of a probe record.</param>
    /// <param name="buildKey">Key of a build record.</param>
    /// <param name="result">Result of a matching pair (for outer joins, the build record may be <c>default</c>).</param>
    /// <param name="outer">True for a left outer join on the probe side.</param>
    /// <param name="downstream">Where results go.</param>
    /// <param name="info">Operator name and subtask.</param>
    public HashJoinOperator(Func<TProbe, TKey> probeKey, Func<TBuild, TKey> buildKey, Func<TProbe, TBuild, TOut> result,
        bool outer, Collector<TOut> downstream, OperatorInfo info) : base(downstream, info)
    {
        _probeKey = probeKey;
        _buildKey = buildKey;
        _result = result;
        _outer = outer;
        _buffer = new BatchBuffer<TOut>(info.BatchSize);
        if (info.StaticState?.Value is KeyGroupedMultiMap<TKey, TBuild> cached)
        {
            // Loop-invariant build side indexed in an earlier superstep: its input does not run again.
            _grouped = cached;
            _prebuilt = true;
            Build.Close();
        }
        else if (info.StaticState is not null)
        {
            _grouped = new KeyGroupedMultiMap<TKey, TBuild>(info.MaxParallelism);
        }
        else
        {
            _table = new HashMultiMap<TKey, TBuild>();
        }
    }

    /// <inheritdoc />
    protected override void OnBuildEnd()
    {
        if (_prebuilt) return;
        _table?.Freeze();
        _grouped?.Freeze();
        if (Info.StaticState is { } slot) slot.Value = _grouped;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void OnBuild(ReadOnlySpan<TBuild> batch)
    {
        if (_prebuilt) throw new InvalidOperationException("The build side of a cached join received records.");
        try
        {
            var table = _table;
            var grouped = _grouped;
            foreach (ref readonly var b in batch)
            {
                // As in Enumerable.Join, a null key matches nothing.
                var k = _buildKey(b);
                if (k is null) continue;
                if (table is not null) table.Add(k, b);
                else grouped!.Add(k, b);
            }
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void OnProbe(ReadOnlySpan<TProbe> batch)
    {
        var table = _table;
        var grouped = _grouped;
        var down = Downstream;
        try
        {
            foreach (ref readonly var p in batch)
            {
                var k = _probeKey(p);
                var matches = k is null ? default : table is not null ? table.ValuesOf(k) : grouped!.ValuesOf(k);
                if (matches.IsEmpty)
                {
                    if (_outer) _buffer.Add(_result(p, default!), down);
                    continue;
                }
                foreach (ref readonly var b in matches) _buffer.Add(_result(p, b), down);
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
        _buffer.Flush(Downstream);
        Downstream.Close();
    }
}

/// <summary>Pairs every probe record with every record of a small, broadcast build side (<c>Cross</c>).</summary>
public sealed class CrossOperator<TBig, TSmall, TOut> : BuildProbeOperator<TBig, TSmall, TOut>
{
    private readonly Func<TBig, TSmall, TOut> _result;
    private readonly List<TSmall> _small = new();
    private BatchBuffer<TOut> _buffer;

    /// <summary>Creates the operator.</summary>
    public CrossOperator(Func<TBig, TSmall, TOut> result, Collector<TOut> downstream, OperatorInfo info) : base(downstream, info)
    {
        _result = result;
        _buffer = new BatchBuffer<TOut>(info.BatchSize);
    }

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<TSmall> batch) => _small.AddRange(batch);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    protected override void OnProbe(ReadOnlySpan<TBig> batch)
    {
        var small = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_small);
        try
        {
            foreach (ref readonly var b in batch)
            {
                foreach (ref readonly var s in small) _buffer.Add(_result(b, s), Downstream);
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
        _buffer.Flush(Downstream);
        Downstream.Close();
    }
}

/// <summary>
/// Holds back the main input until a broadcast set is complete, then lets it through to a chained
/// operator that reads the set (<c>WithBroadcast</c>).
/// </summary>
public sealed class BroadcastGateOperator<T, TB> : BuildProbeOperator<T, TB, T>
{
    private readonly List<TB> _items = new();
    private readonly BroadcastSet<TB> _set;

    /// <summary>Creates the gate that fills <paramref name="set"/>.</summary>
    public BroadcastGateOperator(BroadcastSet<TB> set, Collector<T> downstream, OperatorInfo info) : base(downstream, info) => _set = set;

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<TB> batch) => _items.AddRange(batch);

    /// <inheritdoc />
    protected override void OnBuildEnd() => _set.Set(_items.ToArray());

    /// <inheritdoc />
    protected override void OnProbe(ReadOnlySpan<T> batch) => Downstream.Push(batch);

    /// <inheritdoc />
    protected override void OnEnd() => Downstream.Close();
}
