using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Plan;
using Dataflow.Runtime.Records;

namespace Dataflow.Iterations;

/// <summary>
/// The solution set of a delta iteration as the step sees it: a keyed index, partitioned by key
/// group, that the step joins on its key. Changes reach it only through the step's delta.
/// </summary>
/// <typeparam name="T">The solution record type.</typeparam>
/// <typeparam name="TKey">The key type.</typeparam>
public sealed class SolutionSet<T, TKey>
{
    private readonly DeltaIterationState<T, TKey> _state;

    internal SolutionSet(DeltaIterationState<T, TKey> state) => _state = state;

    /// <summary>
    /// Looks up each record of <paramref name="probe"/> in the solution set by key and emits
    /// <paramref name="result"/> for the ones found. <paramref name="probe"/> is hash partitioned on
    /// its key, so each lookup is local to a subtask's key groups.
    /// </summary>
    public DataSet<TResult> Join<TProbe, TResult>(DataSet<TProbe> probe, Func<TProbe, TKey> key, Func<TProbe, T, TResult> result) =>
        Lookup<TProbe, TResult>(probe, key, (p, s, found, emit) =>
        {
            if (found) emit.Emit(result(p, s));
        }, "Join(solution set)");

    /// <summary>Like <see cref="Join"/>, but a record not found meets <c>default(T)</c>.</summary>
    public DataSet<TResult> LeftOuterJoin<TProbe, TResult>(DataSet<TProbe> probe, Func<TProbe, TKey> key, Func<TProbe, T?, TResult> result) =>
        Lookup<TProbe, TResult>(probe, key, (p, s, found, emit) => emit.Emit(result(p, found ? s : default)), "LeftOuterJoin(solution set)");

    private DataSet<TResult> Lookup<TProbe, TResult>(DataSet<TProbe> probe, Func<TProbe, TKey> key,
        Action<TProbe, T, bool, Emitter<TResult>> body, string name)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(key);
        var state = _state;
        var node = new OperatorNodeWithRun<TProbe, TResult>(probe.Node, name, new HashRequirement<TProbe, TKey>(key, "key"),
            (down, info, run) =>
            {
                var index = state.IndexFor(run, info.Subtask);
                return new Operators.Basic.FlatMapOperator<TProbe, TResult>((p, emit) =>
                {
                    bool found = index.TryGetValue(key(p), out var s);
                    body(p, s, found, emit);
                }, down, info);
            });
        state.Lookups.Add(node);
        return new DataSet<TResult>(node);
    }
}

/// <summary>A unary node whose operator needs the run (to reach iteration state).</summary>
internal sealed class OperatorNodeWithRun<TIn, TOut>(
    Node<TIn> input, string name, Requirement<TIn> requirement, Func<Collector<TOut>, OperatorInfo, RunContext, Collector<TIn>> create)
    : UnaryNode<TIn, TOut>(input, name, requirement)
{
    protected override Collector<TIn> Create(Collector<TOut> downstream, OperatorInfo info) =>
        throw new InvalidOperationException($"{Name} runs only inside its iteration.");

    protected override Collector<TIn> Create(Collector<TOut> downstream, OperatorInfo info, RunContext run) => create(downstream, info, run);
}

/// <summary>The parts of a delta iteration the step's operators reach at run time.</summary>
internal sealed class DeltaIterationState<T, TKey>
{
    /// <summary>Solution-set lookup nodes created by the step: they change every superstep.</summary>
    public List<Node> Lookups { get; } = new();

    /// <summary>The node under which the run keeps the per-subtask solution indexes.</summary>
    public required Node IndexOwner { get; init; }

    public KeyGroupedIndex<TKey, T> IndexFor(RunContext run, int subtask) =>
        ((KeyGroupedIndex<TKey, T>[])run.Materialized[IndexOwner])[subtask];
}

/// <summary>
/// A delta iteration: the step reads the solution set and the workset and returns the solution-set
/// delta (merged into the solution set by key at the barrier) and the next workset.
/// </summary>
internal sealed class DeltaIterationNode<T, TWork, TKey> : IterationNode
{
    private readonly Node<T> _initialSolution;
    private readonly Node<TWork> _initialWorkset;
    private readonly Func<T, TKey> _key;
    private readonly MaterializedSourceNode<TWork> _workset;
    private readonly DeltaIterationState<T, TKey> _state;
    private readonly Node<T> _delta;
    private readonly Node<TWork> _nextWorkset;
    private readonly MaterializedSourceNode<T> _output;
    private readonly HashRequirement<T, TKey> _byKey;

    public DeltaIterationNode(Node<T> initialSolution, Node<TWork> initialWorkset, Func<T, TKey> key, int maxIterations,
        Func<SolutionSet<T, TKey>, DataSet<TWork>, IterationContext, (DataSet<T> Delta, DataSet<TWork> NextWorkset)> step, string name)
        : base(initialSolution.Env, name, maxIterations)
    {
        _initialSolution = initialSolution;
        _initialWorkset = initialWorkset;
        _key = key;
        _byKey = new HashRequirement<T, TKey>(key, "key");
        _workset = new MaterializedSourceNode<TWork>(Env, $"Workset({name})", Env.Parallelism, run => (List<TWork>[])run.Materialized[_workset!]);
        _output = new MaterializedSourceNode<T>(Env, $"SolutionSet({name})", Env.Parallelism,
            run => (List<T>[])run.Materialized[_output!], key);
        _state = new DeltaIterationState<T, TKey> { IndexOwner = _output };
        var (delta, next) = step(new SolutionSet<T, TKey>(_state), new DataSet<TWork>(_workset), Context);
        ArgumentNullException.ThrowIfNull(delta);
        ArgumentNullException.ThrowIfNull(next);
        _delta = delta.Node;
        _nextWorkset = next.Node;
        Output = new IterationResultNode<T>(this, key);
    }

    public override Node Output { get; }

    public override async Task ExecuteAsync(RunContext run)
    {
        var placeholders = new HashSet<Node>(_state.Lookups) { _workset };
        var scope = new IterationScope([_delta, _nextWorkset], placeholders, Env.Parallelism);
        // One job: a solution set and workset from the same records are computed once.
        await RunInitialAsync(run, scope,
            [MaterializeSink(_initialSolution, _byKey, out var solutionParts), MaterializeSink(_initialWorkset, Requirement<TWork>.Any, out var workset)],
            [_delta, _nextWorkset]).ConfigureAwait(false);
        var indexes = new KeyGroupedIndex<TKey, T>[Env.Parallelism];
        for (int s = 0; s < indexes.Length; s++)
        {
            indexes[s] = new KeyGroupedIndex<TKey, T>(Env.Options.MaxParallelism);
            foreach (var x in solutionParts[s]) indexes[s].Put(_key(x), x);
        }
        run.Materialized[_output] = indexes;
        List<T>[] delta = [];
        List<TWork>[] next = [];
        List<TWork>[]? spare = null;
        Node[] sinks = [StepSink(_delta, _byKey, () => delta, scope), StepSink(_nextWorkset, Requirement<TWork>.Any, () => next, scope)];
        await RunSuperstepsAsync(run, scope, async k =>
        {
            run.Materialized[_workset] = workset;
            // The delta is merged into the index right after the superstep, the workset of two supersteps ago is read by
            // nothing: both lists are written again, so a warm superstep grows none.
            delta = EmptyLists(delta, scope.Parallelism);
            next = EmptyLists(spare, scope.Parallelism);
            await Env.RunJobAsync(sinks, run, scope).ConfigureAwait(false);
            // The delta is hash partitioned on the key, so subtask s's delta belongs to s's key groups.
            for (int s = 0; s < indexes.Length; s++)
            {
                foreach (var x in delta[s]) indexes[s].Put(_key(x), x);
            }
            spare = ReferenceEquals(workset, next) ? null : workset;
            workset = next;
            long size = 0;
            foreach (var part in next) size += part.Count;
            return (size, null);
        }, () =>
        [
            new KeyedState(() => indexes, v =>
            {
                indexes = v.Cast<KeyGroupedIndex<TKey, T>>().ToArray();
                run.Materialized[_output] = indexes;
            }, () => new KeyGroupedIndex<TKey, T>(Env.Options.MaxParallelism)),
            new ListsState<TWork>(() => workset, v => workset = v, Requirement<TWork>.Any),
        ]).ConfigureAwait(false);
        run.Materialized[_workset] = null!;
        var result = new List<T>[indexes.Length];
        for (int s = 0; s < indexes.Length; s++)
        {
            result[s] = new List<T>(indexes[s].Count);
            indexes[s].CopyValuesTo(result[s]);
        }
        run.Materialized[_output] = null!; // the index is no longer read; only the result lists
        run.Materialized[Output] = result;
    }
}
