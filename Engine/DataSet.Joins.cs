using System.Runtime.CompilerServices;
using Dataflow.Operators.Basic;
using Dataflow.Operators.Join;
using JoinKind = Dataflow.Operators.Join.HashJoinKind;
using Dataflow.Plan;

namespace Dataflow;

public sealed partial class DataSet<T>
{
    /// <summary>
    /// Inner equi-join with <paramref name="other"/>: one result per pair of records with equal keys.
    /// Both sides are hash partitioned on their keys (unless they already are); <paramref name="other"/>
    /// is the build side held in a hash table, this data set is streamed through it.
    /// </summary>
    /// <example>
    /// <code>
    /// var named = orders.Join(customers, o => o.CustomerId, c => c.Id, (o, c) => (o.Id, c.Name));
    /// </code>
    /// </example>
    public DataSet<TResult> Join<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<T, TOther, TResult> result,
        [CallerArgumentExpression(nameof(key))] string? keyName = null,
        [CallerArgumentExpression(nameof(otherKey))] string? otherKeyName = null) =>
        HashJoin(other, key, otherKey, result, JoinKind.Inner, keyName, otherKeyName);

    /// <summary>
    /// Left outer equi-join: like <see cref="Join{TOther, TKey, TResult}"/>, and every record of this
    /// data set without a match meets <c>default(TOther)</c> once (as <c>Enumerable.LeftJoin</c> does).
    /// </summary>
    public DataSet<TResult> LeftOuterJoin<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<T, TOther?, TResult> result,
        [CallerArgumentExpression(nameof(key))] string? keyName = null,
        [CallerArgumentExpression(nameof(otherKey))] string? otherKeyName = null) =>
        HashJoin(other, key, otherKey, (a, b) => result(a, b), JoinKind.LeftOuter, keyName, otherKeyName);

    /// <summary>
    /// Right outer equi-join: like <see cref="Join{TOther, TKey, TResult}"/>, and every record of
    /// <paramref name="other"/> without a match meets <c>default(T)</c> once (as <c>Enumerable.RightJoin</c>
    /// does). This data set is the build side held in a hash table, <paramref name="other"/> is streamed.
    /// </summary>
    public DataSet<TResult> RightOuterJoin<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<T?, TOther, TResult> result,
        [CallerArgumentExpression(nameof(key))] string? keyName = null,
        [CallerArgumentExpression(nameof(otherKey))] string? otherKeyName = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(result);
        // A left outer join with the sides swapped: the preserved side is the one streamed through the table.
        return other.HashJoin(this, otherKey, key, (b, a) => result(a, b), JoinKind.LeftOuter, otherKeyName, keyName, "RightOuterJoin");
    }

    /// <summary>
    /// Full outer equi-join: like <see cref="Join{TOther, TKey, TResult}"/>, and every record of either
    /// side without a match meets <c>default</c> of the other side's type once. Records whose key is
    /// null match nothing (as in <c>Enumerable.Join</c>) and so appear once each with <c>default</c>.
    /// <paramref name="other"/> is the build side; its unmatched records are emitted after the probe
    /// side has ended.
    /// </summary>
    public DataSet<TResult> FullOuterJoin<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<T?, TOther?, TResult> result,
        [CallerArgumentExpression(nameof(key))] string? keyName = null,
        [CallerArgumentExpression(nameof(otherKey))] string? otherKeyName = null) =>
        HashJoin(other, key, otherKey, (a, b) => result(a, b), JoinKind.FullOuter, keyName, otherKeyName);

    private DataSet<TResult> HashJoin<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<T, TOther, TResult> result, JoinKind kind, string? keyName, string? otherKeyName, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(otherKey);
        ArgumentNullException.ThrowIfNull(result);
        return new(new JoinNode<T, TOther, TKey, TResult>(Node, other.Node,
            name ?? kind switch { JoinKind.LeftOuter => "LeftOuterJoin", JoinKind.FullOuter => "FullOuterJoin", _ => "Join" },
            kind, key, otherKey, result, keyName ?? "key", otherKeyName ?? "key"));
    }

    /// <summary>
    /// Groups this data set and <paramref name="other"/> by key and calls <paramref name="result"/> once
    /// per key found in either, with the records of both sides (one side may be empty).
    /// </summary>
    public DataSet<TResult> CoGroup<TOther, TKey, TResult>(DataSet<TOther> other, Func<T, TKey> key, Func<TOther, TKey> otherKey,
        Func<TKey, IReadOnlyList<T>, IReadOnlyList<TOther>, IEnumerable<TResult>> result,
        [CallerArgumentExpression(nameof(key))] string? keyName = null,
        [CallerArgumentExpression(nameof(otherKey))] string? otherKeyName = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(otherKey);
        ArgumentNullException.ThrowIfNull(result);
        return new(new BinaryOperatorNode<T, TOther, TResult>(Node, other.Node, "CoGroup",
            new HashRequirement<T, TKey>(key, keyName ?? "key"), new HashRequirement<TOther, TKey>(otherKey, otherKeyName ?? "key"),
            (down, info) =>
            {
                var op = new CoGroupOperator<T, TOther, TKey, TResult>(key, otherKey, result, down, info);
                return (op.First, op.Second);
            },
            // Inside an iteration a loop-invariant second side is grouped once and its groups kept, as a join keeps its table.
            cacheableStaticInput: 1,
            cachedState: maxP => new Operators.Tables.KeyGroupedMultiMap<TKey, TOther>(maxP)));
    }

    /// <summary>
    /// Every pair of a record of this data set with a record of <paramref name="small"/>, which is
    /// broadcast to every subtask: keep it small.
    /// </summary>
    public DataSet<TResult> Cross<TSmall, TResult>(DataSet<TSmall> small, Func<T, TSmall, TResult> result)
    {
        ArgumentNullException.ThrowIfNull(small);
        ArgumentNullException.ThrowIfNull(result);
        return new(new BinaryOperatorNode<T, TSmall, TResult>(Node, small.Node, "Cross",
            Requirement<T>.Any, Requirement<TSmall>.Broadcast,
            (down, info) =>
            {
                var op = new CrossOperator<T, TSmall, TResult>(result, down, info);
                return (op.Probe, op.Build);
            }));
    }

    /// <summary>
    /// Makes the small data set <paramref name="broadcast"/> readable, in full, by every subtask of the
    /// operator that follows (Flink's <c>withBroadcastSet</c>).
    /// </summary>
    /// <example>
    /// <code>
    /// var assigned = points.WithBroadcast(centroids).Select((p, cs) => Nearest(p, cs.Span));
    /// </code>
    /// </example>
    public BroadcastDataSet<T, TBroadcast> WithBroadcast<TBroadcast>(DataSet<TBroadcast> broadcast)
    {
        ArgumentNullException.ThrowIfNull(broadcast);
        return new(this, broadcast);
    }
}

/// <summary>A data set paired with a broadcast set, waiting for the operator that reads it.</summary>
public sealed class BroadcastDataSet<T, TBroadcast>
{
    private readonly DataSet<T> _input;
    private readonly DataSet<TBroadcast> _broadcast;

    internal BroadcastDataSet(DataSet<T> input, DataSet<TBroadcast> broadcast)
    {
        _input = input;
        _broadcast = broadcast;
    }

    private DataSet<TResult> Gate<TResult>(string name, Func<BroadcastSet<TBroadcast>, Runtime.Records.Collector<TResult>, Operators.Core.OperatorInfo, Runtime.Records.Collector<T>> create) =>
        new(new BinaryOperatorNode<T, TBroadcast, TResult>(_input.Node, _broadcast.Node, name,
            Requirement<T>.Any, Requirement<TBroadcast>.Broadcast,
            (down, info) =>
            {
                var set = new BroadcastSet<TBroadcast>();
                var gate = new BroadcastGateOperator<T, TBroadcast>(set, create(set, down, info), info);
                return (gate.Probe, gate.Build);
            }));

    /// <summary>Applies <paramref name="selector"/> to every record, with the broadcast set.</summary>
    public DataSet<TResult> Select<TResult>(Func<T, BroadcastSet<TBroadcast>, TResult> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Gate<TResult>("Select+Broadcast", (set, down, info) => new MapOperator<T, TResult>(x => selector(x, set), down, info));
    }

    /// <summary>Keeps the records for which <paramref name="predicate"/> is true, with the broadcast set.</summary>
    public DataSet<T> Where(Func<T, BroadcastSet<TBroadcast>, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Gate<T>("Where+Broadcast", (set, down, info) => new FilterOperator<T>(x => predicate(x, set), down, info));
    }

    /// <summary>Maps every record to a sequence, with the broadcast set, and flattens.</summary>
    public DataSet<TResult> SelectMany<TResult>(Func<T, BroadcastSet<TBroadcast>, IEnumerable<TResult>> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Gate<TResult>("SelectMany+Broadcast", (set, down, info) => new FlatMapOperator<T, TResult>(x => selector(x, set), down, info));
    }
}
