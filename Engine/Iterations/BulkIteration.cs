using Dataflow.Plan;

namespace Dataflow.Iterations;

/// <summary>A bulk iteration: the step maps the whole partial solution to the next one.</summary>
internal sealed class BulkIterationNode<T> : IterationNode
{
    private readonly Node<T> _initial;
    private readonly MaterializedSourceNode<T> _partial;
    private readonly Node<T> _next;
    private readonly IterationResultNode<T> _output;

    public BulkIterationNode(Node<T> initial, int maxIterations, Func<DataSet<T>, IterationContext, DataSet<T>> step, string name)
        : base(initial.Env, name, maxIterations)
    {
        _initial = initial;
        _partial = new MaterializedSourceNode<T>(Env, $"PartialSolution({name})", Env.Parallelism,
            run => (List<T>[])run.Materialized[_partial!]);
        var next = step(new DataSet<T>(_partial), Context) ?? throw new InvalidOperationException("The step function returned null.");
        if (!ReferenceEquals(next.Environment, Env)) throw new ArgumentException("The step must return a data set of the same environment.");
        _next = next.Node;
        _output = new IterationResultNode<T>(this);
    }

    public override Node Output => _output;

    public override async Task ExecuteAsync(RunContext run)
    {
        var roots = new List<Node> { _next };
        if (Context.TerminationCriterion is { } t) roots.Add(t);
        var scope = new IterationScope(roots, new HashSet<Node> { _partial }, Env.Parallelism);
        await RunInitialAsync(run, scope, [MaterializeSink(_initial, Requirement<T>.Any, out var current)], roots).ConfigureAwait(false);
        List<T>[]? spare = null;
        List<T>[] next = [];
        long[] counts = [];
        var sinks = new List<Node> { StepSink(_next, Requirement<T>.Any, () => next, scope) };
        if (Context.TerminationCriterion is { } criterion)
        {
            var countSink = criterion.CreateCountSink(() => counts);
            scope.AddDynamic(countSink);
            sinks.Add(countSink);
        }
        await RunSuperstepsAsync(run, scope, async k =>
        {
            run.Materialized[_partial] = current;
            next = EmptyLists(spare, scope.Parallelism);
            if (Context.TerminationCriterion is { } criterion)
            {
                int p = scope.ParallelismOf(criterion);
                if (counts.Length == p) Array.Clear(counts);
                else counts = new long[p];
            }
            await Env.RunJobAsync(sinks, run, scope).ConfigureAwait(false);
            // What this superstep read is read by nothing from now on: the next superstep writes its result into it.
            spare = ReferenceEquals(current, next) ? null : current;
            current = next;
            return (null, Context.TerminationCriterion is null ? null : counts.Sum());
        }, () => [new ListsState<T>(() => current, v => current = v, Requirement<T>.Any)]).ConfigureAwait(false);
        run.Materialized[_partial] = null!;
        run.Materialized[_output] = current;
    }
}
