using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Join;

/// <summary>Which records of a hash join without a match are kept.</summary>
public enum HashJoinKind
{
    /// <summary>Only matching pairs.</summary>
    Inner,

    /// <summary>Also every unmatched probe record, with <c>default</c> for the build side.</summary>
    LeftOuter,

    /// <summary>Also every unmatched record of either side, with <c>default</c> for the other.</summary>
    FullOuter,
}

/// <summary>
/// Equi-join by hashing the build side into a multimap and streaming the probe side through it.
/// Inner join, left outer join on the probe side (unmatched probe records meet <c>default</c>), or
/// full outer join (unmatched build records, too, once the probe side has ended).
/// </summary>
public sealed class HashJoinOperator<TProbe, TBuild, TKey, TOut> : BuildProbeOperator<TProbe, TBuild, TOut>
{
    private readonly Func<TProbe, TKey> _probeKey;
    private readonly Func<TBuild, TKey> _buildKey;
    private readonly Func<TProbe, TBuild, TOut> _result;
    private readonly bool _outer;
    private readonly bool _full;
    // Full outer join only: build records in arrival order (to emit the unmatched ones) and the keys probed with a match.
    private readonly List<TBuild>? _builds;
    private readonly OpenHashMap<TKey, bool>? _matched;
    private readonly JoinIndex<TKey, TBuild> _index;
    private BatchBuffer<TOut> _buffer;

    /// <summary>Creates the operator.</summary>
    /// <param name="probeKey">Key of a probe record.</param>
    /// <param name="buildKey">Key of a build record.</param>
    /// <param name="result">Result of a matching pair (for outer joins, the build record may be <c>default</c>).</param>
    /// <param name="outer">True for a left outer join on the probe side.</param>
    /// <param name="downstream">Where results go.</param>
    /// <param name="info">Operator name and subtask.</param>
    public HashJoinOperator(Func<TProbe, TKey> probeKey, Func<TBuild, TKey> buildKey, Func<TProbe, TBuild, TOut> result,
        bool outer, Collector<TOut> downstream, OperatorInfo info)
        : this(probeKey, buildKey, result, outer ? HashJoinKind.LeftOuter : HashJoinKind.Inner, downstream, info)
    {
    }

    /// <summary>Creates the operator for a join of kind <paramref name="kind"/>.</summary>
    /// <param name="probeKey">Key of a probe record.</param>
    /// <param name="buildKey">Key of a build record.</param>
    /// <param name="result">Result of a matching pair (for outer joins, either record may be <c>default</c>).</param>
    /// <param name="kind">Which unmatched records are kept.</param>
    /// <param name="downstream">Where results go.</param>
    /// <param name="info">Operator name and subtask.</param>
    public HashJoinOperator(Func<TProbe, TKey> probeKey, Func<TBuild, TKey> buildKey, Func<TProbe, TBuild, TOut> result,
        HashJoinKind kind, Collector<TOut> downstream, OperatorInfo info) : base(downstream, info)
    {
        _probeKey = probeKey;
        _buildKey = buildKey;
        _result = result;
        _outer = kind != HashJoinKind.Inner;
        _full = kind == HashJoinKind.FullOuter;
        if (_full)
        {
            if (info.StaticState is not null) throw new InvalidOperationException("A full outer join does not keep its build side across supersteps.");
            _builds = new List<TBuild>();
            _matched = new OpenHashMap<TKey, bool>();
        }
        _buffer = new BatchBuffer<TOut>(info.BatchSize);
        _index = new JoinIndex<TKey, TBuild>(info);
        // Loop-invariant build side indexed in an earlier superstep: its input does not run again.
        if (_index.Prebuilt) Build.Close();
    }

    /// <inheritdoc />
    protected override void OnBuildEnd() => _index.Freeze();

    /// <inheritdoc />
    protected override void OnBuild(ReadOnlySpan<TBuild> batch)
    {
        try
        {
            _builds?.AddRange(batch);
            _index.Add(batch, _buildKey);
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            Info.Throw(e);
        }
    }

    /// <inheritdoc />
    protected override void OnProbe(ReadOnlySpan<TProbe> batch)
    {
        var index = _index;
        var down = Downstream;
        try
        {
            foreach (ref readonly var p in batch)
            {
                var k = _probeKey(p);
                var matches = index.ValuesOf(k);
                if (matches.IsEmpty)
                {
                    if (_outer) _buffer.Add(_result(p, default!), down);
                    continue;
                }
                if (_matched is not null) _matched.GetValueRefOrAddDefault(k!, out _) = true;
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
        if (_builds is not null)
        {
            try
            {
                foreach (var b in _builds)
                {
                    var k = _buildKey(b);
                    if (k is null || _matched!.IndexOf(k) < 0) _buffer.Add(_result(default!, b), Downstream);
                }
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                Info.Throw(e);
            }
            _builds.Clear();
        }
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
