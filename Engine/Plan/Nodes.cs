using Dataflow.Operators.Basic;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Exchange;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;

namespace Dataflow.Plan;

/// <summary>A unary node whose operator is made by a factory; most operators need no class of their own.</summary>
internal sealed class OperatorNode<TIn, TOut>(
    Node<TIn> input, string name, Requirement<TIn> requirement,
    Func<Collector<TOut>, OperatorInfo, Collector<TIn>> create, Delegate? partitionedBy = null, int? parallelism = null)
    : UnaryNode<TIn, TOut>(input, name, requirement, parallelism)
{
    public override Delegate? PartitionedBy => partitionedBy;

    protected override Collector<TIn> Create(Collector<TOut> downstream, OperatorInfo info) => create(downstream, info);
}

/// <summary>A two-input node whose operator is made by a factory.</summary>
internal sealed class BinaryOperatorNode<T1, T2, TOut>(
    Node<T1> first, Node<T2> second, string name, Requirement<T1> r1, Requirement<T2> r2,
    Func<Collector<TOut>, OperatorInfo, (Collector<T1>, Collector<T2>)> create, Delegate? partitionedBy = null, int cacheableStaticInput = -1,
    Func<int, Operators.Core.IKeyGroupedState>? cachedState = null)
    : BinaryNode<T1, T2, TOut>(first, second, name, r1, r2)
{
    public override Delegate? PartitionedBy => partitionedBy;

    public override Operators.Core.IKeyGroupedState? CreateCachedState(int maxParallelism) => cachedState?.Invoke(maxParallelism);

    public override int CacheableStaticInput => cacheableStaticInput;

    protected override (Collector<T1> First, Collector<T2> Second) Create(Collector<TOut> downstream, OperatorInfo info) =>
        create(downstream, info);
}

/// <summary>A source node whose subtask body is made by a factory.</summary>
internal sealed class SourceOperatorNode<T>(
    DataflowEnvironment env, string name, int parallelism, Func<SubtaskContext, Collector<T>, SubtaskBody> create, string? path = null)
    : SourceNode<T>(env, name, parallelism)
{
    public override string? InputPath => path;

    protected override SubtaskBody Create(SubtaskContext context, Collector<T> downstream, RunContext run) => create(context, downstream);
}

/// <summary>Merges inputs of one type.</summary>
internal sealed class UnionNode<T> : Node<T>
{
    public UnionNode(Node<T>[] inputs) : base(inputs[0].Env, "Union", inputs[0].Env.Parallelism, inputs)
    {
    }

    public override RequirementKind RequirementKindOf(int input) => RequirementKind.Any;

    public override Delegate? RequiredKey(int input) => null;

    public override string DescribeEdge(int input, ShipStrategy strategy) => Requirement<T>.Any.Describe(strategy);

    public override object CreateEdgeOutput(int input, ShipStrategy strategy, ExchangeTargets targets) =>
        Requirement<T>.Any.CreateOutput(strategy, targets, Name);

    public override object[] CreateInputs(object? downstream, OperatorInfo info, RunContext run) =>
        new UnionOperator<T>(Inputs.Length, (Collector<T>)downstream!).Inputs;
}

/// <summary>
/// A source that emits, per subtask, records held in memory by the current run: an iteration's
/// partial solution or workset, its result, or a loop-invariant input cached in the first superstep.
/// </summary>
internal sealed class MaterializedSourceNode<T>(DataflowEnvironment env, string name, int parallelism, Func<RunContext, List<T>[]> parts, Delegate? partitionedBy = null,
    bool readOnce = false)
    : SourceNode<T>(env, name, parallelism)
{
    public override Delegate? PartitionedBy => partitionedBy;

    protected override SubtaskBody Create(SubtaskContext context, Collector<T> downstream, RunContext run)
    {
        var all = parts(run);
        if (all.Length != context.Parallelism) throw new InvalidOperationException($"{Name} holds {all.Length} partitions for {context.Parallelism} subtasks.");
        return new Operators.Sources.PartitionSource<T>(all[context.Subtask], context, downstream, Name, release: readOnce);
    }
}
