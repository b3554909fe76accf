using Dataflow.Operators.Basic;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Exchange;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Records;

namespace Dataflow.Plan;

/// <summary>
/// A node of the logical plan. Nodes are immutable once created; their ids follow creation order,
/// so every process that runs the same program builds the same plan.
/// </summary>
internal abstract class Node
{
    protected Node(DataflowEnvironment env, string name, int parallelism, params Node[] inputs)
    {
        Env = env;
        Id = env.NextNodeId();
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parallelism, env.Options.MaxParallelism);
        Name = name;
        Parallelism = parallelism;
        Inputs = inputs;
        foreach (var input in inputs)
        {
            if (!ReferenceEquals(input.Env, env)) throw new ArgumentException("Data sets from different environments cannot be combined.");
        }
    }

    public DataflowEnvironment Env { get; }

    public int Id { get; }

    public string Name { get; }

    public int Parallelism { get; }

    public Node[] Inputs { get; }

    /// <summary>The key the output is hash partitioned on (at this node's parallelism), or null.</summary>
    public virtual Delegate? PartitionedBy => null;

    public virtual bool IsSource => false;

    /// <summary>A sink whose result the program reads (collect, count, output files): in cluster mode it runs in the submitting process.</summary>
    public bool IsResultSink { get; init; }

    /// <summary>Runs at <see cref="Parallelism"/> whatever the iteration's parallelism (a whole data set's aggregate merges in one subtask).</summary>
    public bool FixedParallelism { get; init; }

    /// <summary>Moves this node's records between processes.</summary>
    public abstract Runtime.Serialization.BatchCodec CreateCodec();

    /// <summary>Files this node reads; checked before a job starts.</summary>
    public virtual string? InputPath => null;

    /// <summary>The requirement on input <paramref name="input"/>, non-generic view.</summary>
    public abstract RequirementKind RequirementKindOf(int input);

    public abstract Delegate? RequiredKey(int input);

    public abstract string DescribeEdge(int input, ShipStrategy strategy);

    public abstract object CreateEdgeOutput(int input, ShipStrategy strategy, ExchangeTargets targets);

    /// <summary>Creates this subtask's operator: one input collector per input, writing into <paramref name="downstream"/>.</summary>
    public virtual object[] CreateInputs(object? downstream, OperatorInfo info, RunContext run) =>
        throw new InvalidOperationException($"{Name} has no inputs.");

    /// <summary>The input whose loop-invariant state the operator can keep across supersteps (a join's build side), or -1.</summary>
    public virtual int CacheableStaticInput => -1;

    /// <summary>A source replaying, per subtask, the records this node's consumer received in the first superstep.</summary>
    public abstract Node CreateReplaySource(Array recordedPerSubtask, int parallelism);

    /// <summary>Moves what input <paramref name="input"/>'s subtasks received (a recording) when the parallelism changes, as the input's requirement says.</summary>
    public abstract Runtime.Iterations.MovableState MoverOfRecording(int input, Func<Array> get, Action<Array> set);

    /// <summary>An empty instance of the state this node caches across supersteps (for a subtask that receives it from elsewhere), or null.</summary>
    public virtual Operators.Core.IKeyGroupedState? CreateCachedState(int maxParallelism) => null;

    /// <summary>Per-subtask lists for recording this node's output as a consumer received it.</summary>
    public abstract Array CreateRecording(int parallelism);

    /// <summary>A sink counting this node's records into the array <paramref name="counts"/> gives when its subtasks start (one slot per subtask).</summary>
    public abstract Node CreateCountSink(Func<long[]> counts);

    /// <summary>
    /// A sink that keeps this node's output in memory, per subtask, and a source that emits it again, partitioned as the
    /// node's own output is: a node two jobs of a run read is computed once (<see cref="RunContext.Computed"/>).
    /// </summary>
    public abstract (Node Sink, Node Source) CreateKept();

    /// <summary>Creates a source subtask writing into <paramref name="downstream"/>.</summary>
    public virtual SubtaskBody CreateSource(SubtaskContext context, object downstream, RunContext run) =>
        throw new InvalidOperationException($"{Name} is not a source.");

    /// <summary>Wraps a collector of this node's output type as an input of a vertex head.</summary>
    public abstract IInputAdapter CreateAdapter(object collector, Array? recording, int subtask);

    /// <summary>Combines several collectors of this node's output type into one.</summary>
    public abstract object CreateFanOut(object[] collectors);

    public override string ToString() => $"{Name}#{Id}";
}

/// <summary>Feeds pooled batches of one input into the head operator's typed collector.</summary>
internal interface IInputAdapter
{
    void OnBatch(Array items, int count);

    void OnEnd();
}

/// <summary>A node producing records of type <typeparamref name="T"/>.</summary>
internal abstract class Node<T> : Node
{
    protected Node(DataflowEnvironment env, string name, int parallelism, params Node[] inputs)
        : base(env, name, parallelism, inputs)
    {
    }

    public override Runtime.Serialization.BatchCodec CreateCodec() => Runtime.Serialization.BatchCodec.For<T>();

    public override Runtime.Iterations.MovableState MoverOfRecording(int input, Func<Array> get, Action<Array> set) =>
        new Iterations.ListsState<T>(() => (List<T>[])get(), v => set(v), Requirement<T>.Any);

    public override IInputAdapter CreateAdapter(object collector, Array? recording, int subtask) =>
        new Adapter((Collector<T>)collector, recording is null ? null : ((List<T>[])recording)[subtask]);

    public override object CreateFanOut(object[] collectors) =>
        new FanOutCollector<T>(collectors.Cast<Collector<T>>().ToArray());

    public override Array CreateRecording(int parallelism)
    {
        var lists = new List<T>[parallelism];
        for (int i = 0; i < lists.Length; i++) lists[i] = new List<T>();
        return lists;
    }

    public override Node CreateReplaySource(Array recordedPerSubtask, int parallelism) =>
        new MaterializedSourceNode<T>(Env, $"Cached({Name})", parallelism, _ => (List<T>[])recordedPerSubtask);

    public override Node CreateCountSink(Func<long[]> counts) =>
        new OperatorNode<T, T>(this, "Count", Requirement<T>.Any,
            (_, info) => new Operators.Sinks.CountSink<T>(counts(), info.Subtask), parallelism: Parallelism) { FixedParallelism = FixedParallelism };

    public override (Node Sink, Node Source) CreateKept()
    {
        var lists = (List<T>[])CreateRecording(Parallelism);
        var sink = new OperatorNode<T, T>(this, $"Keep({Name})", Requirement<T>.Any,
            (_, info) => new Operators.Sinks.CollectSink<T>(lists[info.Subtask]), parallelism: Parallelism);
        // Read once, by the first superstep (every later reader computes the node again): each list is freed once emitted.
        return (sink, new MaterializedSourceNode<T>(Env, $"Computed({Name})", Parallelism, _ => lists, PartitionedBy, readOnce: true));
    }

    private sealed class Adapter(Collector<T> collector, List<T>? recording) : IInputAdapter
    {
        public void OnBatch(Array items, int count)
        {
            var array = (T[])items;
            var span = new ReadOnlySpan<T>(array, 0, count);
            recording?.AddRange(span);
            collector.Push(span);
            ExchangeOutput<T>.Return(array, count);
        }

        public void OnEnd() => collector.Close();
    }
}

/// <summary>A node with one input of type <typeparamref name="TIn"/>.</summary>
internal abstract class UnaryNode<TIn, TOut> : Node<TOut>
{
    protected UnaryNode(Node<TIn> input, string name, Requirement<TIn> requirement, int? parallelism = null)
        : base(input.Env, name, parallelism ?? input.Env.Parallelism, input)
    {
        Requirement = requirement;
    }

    public Requirement<TIn> Requirement { get; }

    public Node<TIn> Input => (Node<TIn>)Inputs[0];

    public override RequirementKind RequirementKindOf(int input) => Requirement.Kind;

    public override Runtime.Iterations.MovableState MoverOfRecording(int input, Func<Array> get, Action<Array> set) =>
        new Iterations.ListsState<TIn>(() => (List<TIn>[])get(), v => set(v), Requirement);

    public override Delegate? RequiredKey(int input) => Requirement.Key;

    public override string DescribeEdge(int input, ShipStrategy strategy) => Requirement.Describe(strategy);

    public override object CreateEdgeOutput(int input, ShipStrategy strategy, ExchangeTargets targets) =>
        Requirement.CreateOutput(strategy, targets, Name);

    public override object[] CreateInputs(object? downstream, OperatorInfo info, RunContext run) => [Create((Collector<TOut>)downstream!, info, run)];

    protected virtual Collector<TIn> Create(Collector<TOut> downstream, OperatorInfo info, RunContext run) => Create(downstream, info);

    protected abstract Collector<TIn> Create(Collector<TOut> downstream, OperatorInfo info);
}

/// <summary>A node with two inputs.</summary>
internal abstract class BinaryNode<T1, T2, TOut> : Node<TOut>
{
    private readonly Requirement<T1> _first;
    private readonly Requirement<T2> _second;

    protected BinaryNode(Node<T1> first, Node<T2> second, string name, Requirement<T1> r1, Requirement<T2> r2)
        : base(first.Env, name, first.Env.Parallelism, first, second)
    {
        _first = r1;
        _second = r2;
    }

    public override RequirementKind RequirementKindOf(int input) => input == 0 ? _first.Kind : _second.Kind;

    public override Runtime.Iterations.MovableState MoverOfRecording(int input, Func<Array> get, Action<Array> set) => input == 0
        ? new Iterations.ListsState<T1>(() => (List<T1>[])get(), v => set(v), _first)
        : new Iterations.ListsState<T2>(() => (List<T2>[])get(), v => set(v), _second);

    public override Delegate? RequiredKey(int input) => input == 0 ? _first.Key : _second.Key;

    public override string DescribeEdge(int input, ShipStrategy strategy) =>
        input == 0 ? _first.Describe(strategy) : _second.Describe(strategy);

    public override object CreateEdgeOutput(int input, ShipStrategy strategy, ExchangeTargets targets) =>
        input == 0 ? _first.CreateOutput(strategy, targets, Name) : _second.CreateOutput(strategy, targets, Name);

    public override object[] CreateInputs(object? downstream, OperatorInfo info, RunContext run)
    {
        var (a, b) = Create((Collector<TOut>)downstream!, info);
        return [a, b];
    }

    protected abstract (Collector<T1> First, Collector<T2> Second) Create(Collector<TOut> downstream, OperatorInfo info);
}

/// <summary>A source node.</summary>
internal abstract class SourceNode<T> : Node<T>
{
    protected SourceNode(DataflowEnvironment env, string name, int parallelism) : base(env, name, parallelism)
    {
    }

    public override bool IsSource => true;

    public override RequirementKind RequirementKindOf(int input) => throw new InvalidOperationException();

    public override Delegate? RequiredKey(int input) => null;

    public override string DescribeEdge(int input, ShipStrategy strategy) => throw new InvalidOperationException();

    public override object CreateEdgeOutput(int input, ShipStrategy strategy, ExchangeTargets targets) => throw new InvalidOperationException();

    public override SubtaskBody CreateSource(SubtaskContext context, object downstream, RunContext run) =>
        Create(context, (Collector<T>)downstream, run);

    protected abstract SubtaskBody Create(SubtaskContext context, Collector<T> downstream, RunContext run);
}
