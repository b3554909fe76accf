using Dataflow.Operators.Core;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Plan;

/// <summary>
/// State of one execution of a plan: data held in memory between the jobs it consists of (iteration
/// state and results), and, while a superstep is compiled, the iteration it belongs to.
/// </summary>
internal sealed class RunContext(CancellationToken token)
{
    /// <summary>In-memory partitions by the node that reads them (per subtask: <c>List&lt;T&gt;[]</c>, or an index).</summary>
    public Dictionary<Node, object> Materialized { get; } = new();

    public CancellationToken Token { get; } = token;

    /// <summary>Cluster mode: user-visible sinks get vertices of their own (they run in the submitting process).</summary>
    public bool SeparateResultSinks { get; init; }

    /// <summary>
    /// Nodes already computed in this run, with the source that emits their kept output (<see cref="Node.CreateKept"/>):
    /// a job that reads such a node reads the source instead of computing the node and its inputs again.
    /// </summary>
    public Dictionary<Node, Node> Computed { get; } = new();

    /// <summary>Set while compiling a superstep's job.</summary>
    public IterationScope? Scope { get; set; }

    /// <summary>Supersteps run so far by all iterations.</summary>
    public int Supersteps { get; set; }

    /// <summary>Statistics of every job run so far, in order.</summary>
    public List<JobExecutionResult> Jobs { get; } = new();
}

/// <summary>
/// What the compiler needs to know about the iteration whose step it compiles: which nodes change
/// from superstep to superstep (they depend on the partial solution, workset or solution set) and
/// the loop-invariant inputs cached by the first superstep.
/// </summary>
internal sealed class IterationScope
{
    private readonly HashSet<Node> _dynamic = new();

    public IterationScope(IEnumerable<Node> roots, IReadOnlySet<Node> placeholders, int parallelism)
    {
        BaseParallelism = parallelism;
        Parallelism = parallelism;
        var visited = new Dictionary<Node, bool>();
        foreach (var r in roots) Mark(r, placeholders, visited);
    }

    private bool Mark(Node n, IReadOnlySet<Node> placeholders, Dictionary<Node, bool> visited)
    {
        if (visited.TryGetValue(n, out bool d)) return d;
        bool dynamic = placeholders.Contains(n);
        foreach (var i in n.Inputs) dynamic |= Mark(i, placeholders, visited);
        visited[n] = dynamic;
        if (dynamic) _dynamic.Add(n);
        return dynamic;
    }

    /// <summary>The parallelism the iteration started with (its nodes were built with it).</summary>
    public int BaseParallelism { get; }

    /// <summary>The parallelism of the step now: changed by a rescale at a barrier.</summary>
    public int Parallelism { get; set; }

    /// <summary>The step's nodes built at the base parallelism run at the current one; every other node keeps its own.</summary>
    public int ParallelismOf(Node n) => n.Parallelism == BaseParallelism && !n.FixedParallelism && _dynamic.Contains(n) ? Parallelism : n.Parallelism;

    /// <summary>1-based number of the superstep being compiled.</summary>
    public int Superstep { get; set; } = 1;

    /// <summary>The first superstep this run of the iteration runs: 1, or the one after the checkpoint it was restored from.</summary>
    public int FirstSuperstep { get; set; } = 1;

    /// <summary>Whether the superstep being compiled runs the loop-invariant inputs (and caches them): the first one this run runs.</summary>
    public bool BuildsInvariants => Superstep == FirstSuperstep;

    /// <summary>Nodes computed once for the whole iteration.</summary>
    public bool IsDynamic(Node n) => _dynamic.Contains(n);

    /// <summary>Marks a node created per superstep (such as a sink of the step) as dynamic.</summary>
    public void AddDynamic(Node n) => _dynamic.Add(n);

    /// <summary>Operator state kept across supersteps, per (consumer, input), one slot per subtask.</summary>
    public Dictionary<(Node Consumer, int Input), StateSlot[]> Slots { get; } = new();

    /// <summary>Where the step's subtasks report done (the iteration's synchronizer), or null.</summary>
    public Action<TaskStatistics>? SubtaskDone { get; set; }

    private readonly Dictionary<Node, (StateSlot[] Slots, int Compile)> _scratch = new();
    private int _compiles;

    /// <summary>
    /// The per-subtask slots where the operator of <paramref name="n"/> leaves its tables and buffers for the next
    /// superstep (<see cref="OperatorInfo.Scratch"/>); new slots after a change of parallelism.
    /// </summary>
    public StateSlot[] ScratchOf(Node n, int parallelism)
    {
        if (!_scratch.TryGetValue(n, out var e) || e.Slots.Length != parallelism)
        {
            e.Slots = Enumerable.Range(0, parallelism).Select(_ => new StateSlot()).ToArray();
        }
        _scratch[n] = (e.Slots, _compiles);
        return e.Slots;
    }

    /// <summary>Forgets the slots of nodes the last compile of the step did not include; once per compile, before <see cref="ScratchOf"/>.</summary>
    public void ForgetStaleScratch()
    {
        _compiles++;
        foreach (var stale in _scratch.Where(x => x.Value.Compile < _compiles - 1).Select(x => x.Key).ToList()) _scratch.Remove(stale);
    }

    private Compiled? _compiled;

    private sealed record Compiled(Node[] Sinks, Runtime.Execution.JobGraph Graph, int Parallelism,
        KeyValuePair<(Node, int), StateSlot[]>[] Slots, KeyValuePair<(Node, int), Array>[] Recordings);

    /// <summary>
    /// The step's job graph compiled for an earlier superstep, when it still fits this one: same sinks, same parallelism,
    /// not a superstep that reads the loop-invariant inputs, and the cached state and recordings it reads are the ones the
    /// scope holds now (a move for a rescale, a placement change or a recovery replaces them). Null means compile.
    /// </summary>
    /// <remarks>
    /// A warm superstep runs the plan compiled once (Flink's iteration head and tail run the same tasks every superstep):
    /// the operators are created again per subtask, but what they keep (join tables, accumulators, buffers) lives in the
    /// scope's slots, so nothing of size is built again.
    /// </remarks>
    public Runtime.Execution.JobGraph? CompiledFor(IReadOnlyList<Node> sinks)
    {
        if (_compiled is not { } c || BuildsInvariants || c.Parallelism != Parallelism || !c.Sinks.SequenceEqual(sinks)) return null;
        if (c.Slots.Length != Slots.Count || c.Recordings.Length != Recordings.Count) return null;
        foreach (var (key, slots) in c.Slots)
        {
            if (!Slots.TryGetValue(key, out var now) || !ReferenceEquals(now, slots)) return null;
        }
        foreach (var (key, recording) in c.Recordings)
        {
            if (!Recordings.TryGetValue(key, out var now) || !ReferenceEquals(now, recording)) return null;
        }
        return c.Graph;
    }

    /// <summary>Keeps <paramref name="graph"/>, just compiled for <paramref name="sinks"/>, for the supersteps after this one (<see cref="CompiledFor"/>).</summary>
    public void KeepCompiled(IReadOnlyList<Node> sinks, Runtime.Execution.JobGraph graph) =>
        _compiled = BuildsInvariants ? null : new Compiled(sinks.ToArray(), graph, Parallelism, Slots.ToArray(), Recordings.ToArray());

    /// <summary>Loop-invariant records as each consumer subtask received them in the first superstep.</summary>
    public Dictionary<(Node Consumer, int Input), Array> Recordings { get; } = new();
}
