using Dataflow.Operators.Aggregation;
using Dataflow.Operators.Core;
using Dataflow.Operators.Join;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Plan;

/// <summary>A node whose operator the planner may fuse with the operator of its input, when both are in one task.</summary>
internal interface IFusable
{
    /// <summary>True when this node's operator and <paramref name="input"/>'s run as one.</summary>
    bool FusesWith(Node input);

    /// <summary>The fused operator's inputs (as <see cref="Node.CreateInputs"/> of <paramref name="input"/> would give), or null when these two do not fuse.</summary>
    object[]? TryFuse(Node input, object? downstream, OperatorInfo info);
}

/// <summary>A node that can run fused with a <see cref="CombineNode{TIn, TKey, TAcc}"/> reading its output.</summary>
internal interface IFusableJoin<TOut>
{
    /// <summary>True when this join can run fused with a combiner.</summary>
    bool Fusable { get; }

    /// <summary>The inputs of the join fused with <paramref name="combine"/>, or null when this join does not fuse.</summary>
    object[]? CreateFused<TKey, TAcc>(CombineNode<TOut, TKey, TAcc> combine, Collector<(TKey Key, TAcc Acc)> downstream, OperatorInfo info);
}

/// <summary>The final stage of a combinable aggregation, which a join on its key may take as its own table (<see cref="IAggregateProbe"/>).</summary>
internal interface IAggregateBuild<TKey, TResult>
{
    /// <summary>The inputs (probe, then this aggregation's partial accumulators) of a join that probes this aggregation's table.</summary>
    object[] CreateProbedBy<TProbe, TOut>(Func<TProbe, TKey> probeKey, Func<TProbe, TResult, TOut> result, bool outer, Collector<TOut> downstream, OperatorInfo info);
}

/// <summary>A join that can probe the table of the aggregation that is its build side, with no records between them.</summary>
internal interface IAggregateProbe
{
    /// <summary>True when this join can take <paramref name="build"/>'s table as its own.</summary>
    bool ProbesAggregate(Node build);

    /// <summary>The join's inputs (probe, then <paramref name="build"/>'s input) when it probes <paramref name="build"/>'s table.</summary>
    object[] CreateProbingAggregate(Node build, object? downstream, OperatorInfo info);
}

/// <summary>The final stage of a combinable aggregation: merges the partial accumulators of its keys and emits one record per key.</summary>
internal sealed class MergeNode<TKey, TAcc, TResult>(Node<(TKey Key, TAcc Acc)> input, string name, string keyName,
    Func<TAcc, TAcc, TAcc> merge, Func<TKey, TAcc, TResult> result, Delegate? partitionedBy)
    : UnaryNode<(TKey Key, TAcc Acc), TResult>(input, name, new HashRequirement<(TKey Key, TAcc Acc), TKey>(static p => p.Key, keyName)),
      IAggregateBuild<TKey, TResult>
{
    public override Delegate? PartitionedBy => partitionedBy;

    protected override Collector<(TKey Key, TAcc Acc)> Create(Collector<TResult> downstream, OperatorInfo info) =>
        new HashAggregateOperator<(TKey Key, TAcc Acc), TKey, TAcc, TResult>(static p => p.Key, static p => p.Acc, (a, p) => merge(a, p.Acc), result, downstream, info);

    public object[] CreateProbedBy<TProbe, TOut>(Func<TProbe, TKey> probeKey, Func<TProbe, TResult, TOut> join, bool outer, Collector<TOut> downstream, OperatorInfo info)
    {
        var op = new AggregateJoinOperator<TProbe, TKey, TAcc, TResult, TOut>(probeKey, merge, result, join, outer, downstream, info);
        return [op.Probe, op.Build];
    }
}

/// <summary>The first phase of a combinable aggregation (before its exchange): partial accumulators per key.</summary>
internal sealed class CombineNode<TIn, TKey, TAcc>(Node<TIn> input, string name, Func<TIn, TKey> key, Func<TIn, TAcc> create,
    Func<TAcc, TIn, TAcc> add, int spillAt)
    : UnaryNode<TIn, (TKey Key, TAcc Acc)>(input, name, Requirement<TIn>.Any, input.Parallelism), IFusable
{
    public Func<TIn, TKey> Key => key;

    public Func<TIn, TAcc> First => create;

    public Func<TAcc, TIn, TAcc> Add => add;

    public int SpillAt => spillAt;

    protected override Collector<TIn> Create(Collector<(TKey Key, TAcc Acc)> downstream, OperatorInfo info) =>
        new HashAggregateOperator<TIn, TKey, TAcc, (TKey, TAcc)>(key, create, add, static (k, a) => (k, a), downstream, info, spillAt);

    public bool FusesWith(Node input) => input is IFusableJoin<TIn> { Fusable: true };

    public object[]? TryFuse(Node input, object? downstream, OperatorInfo info) =>
        input is IFusableJoin<TIn> join ? join.CreateFused(this, (Collector<(TKey Key, TAcc Acc)>)downstream!, info) : null;
}

/// <summary>A hash join: the first input is probed through a table of the second.</summary>
internal sealed class JoinNode<T1, T2, TKey, TOut>(Node<T1> first, Node<T2> second, string name, HashJoinKind kind,
    Func<T1, TKey> key, Func<T2, TKey> otherKey, Func<T1, T2, TOut> result, string keyName, string otherKeyName)
    : BinaryNode<T1, T2, TOut>(first, second, name, new HashRequirement<T1, TKey>(key, keyName), new HashRequirement<T2, TKey>(otherKey, otherKeyName)),
      IFusableJoin<TOut>, IAggregateProbe
{
    // A full outer join emits the unmatched build records of each run, so its table is not reused across supersteps.
    public override int CacheableStaticInput => kind == HashJoinKind.FullOuter ? -1 : 1;

    public override IKeyGroupedState? CreateCachedState(int maxParallelism) =>
        kind == HashJoinKind.FullOuter ? null : new KeyGroupedMultiMap<TKey, T2>(maxParallelism);

    protected override (Collector<T1> First, Collector<T2> Second) Create(Collector<TOut> downstream, OperatorInfo info)
    {
        var op = new HashJoinOperator<T1, T2, TKey, TOut>(key, otherKey, result, kind, downstream, info);
        return (op.Probe, op.Build);
    }

    public bool Fusable => kind == HashJoinKind.Inner;

    /// <summary>An inner or left outer join on an aggregation's key (the planner checks the key and the edge) may probe its table.</summary>
    public bool ProbesAggregate(Node build) => kind != HashJoinKind.FullOuter && build is IAggregateBuild<TKey, T2>;

    public object[] CreateProbingAggregate(Node build, object? downstream, OperatorInfo info) =>
        ((IAggregateBuild<TKey, T2>)build).CreateProbedBy(key, result, kind == HashJoinKind.LeftOuter, (Collector<TOut>)downstream!,
            info with { Name = $"{build.Name}+{Name}" });

    /// <summary>An inner join fuses: each match is folded into the combiner's accumulators (outer joins also emit unmatched records).</summary>
    public object[]? CreateFused<TGroup, TAcc>(CombineNode<TOut, TGroup, TAcc> combine, Collector<(TGroup Key, TAcc Acc)> downstream, OperatorInfo info)
    {
        if (kind != HashJoinKind.Inner) return null;
        var op = new JoinAggregateOperator<T1, T2, TKey, TOut, TGroup, TAcc>(key, otherKey, result, combine.Key, combine.First, combine.Add,
            combine.SpillAt, downstream, info with { Name = $"{Name}+{combine.Name}" });
        return [op.Probe, op.Build];
    }
}
