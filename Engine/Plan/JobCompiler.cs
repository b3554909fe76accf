using System.Text;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Execution;

namespace Dataflow.Plan;

/// <summary>
/// Turns the logical plan under a set of sinks into a job graph: chains forward pipelines into one
/// vertex, and places an exchange only where an input's distribution does not already meet the
/// consumer's requirement (a hash partitioning on the same key at the same parallelism is reused).
/// Inside an iteration, loop-invariant inputs run in the first superstep only: later supersteps
/// replay what their consumers received, or reuse the state (a join's hash table) built from it.
/// A node an earlier job of the run already computed and kept (<see cref="RunContext.Computed"/>) is
/// read from memory, not computed again.
/// </summary>
internal sealed class JobCompiler
{
    private readonly RunContext _run;
    private readonly IterationScope? _scope;
    private readonly List<Node> _order = new();
    private readonly Dictionary<Node, List<(Node Consumer, int Input)>> _consumers = new();
    private readonly Dictionary<Node, Chain> _chainOf = new();
    private readonly List<Chain> _chains = new();
    // Inside an iteration: each step operator's per-subtask scratch slots (see OperatorInfo.Scratch), taken from the
    // scope while the graph is built, so the subtask threads that create the operators only read them.
    private readonly Dictionary<Node, StateSlot[]> _scratch = new();

    private sealed class Chain(Node head)
    {
        public List<Node> Nodes { get; } = [head];

        public Node Head => Nodes[0];

        public Node Tail => Nodes[^1];

        public JobVertex? Vertex { get; set; }

        /// <summary>One entry per input of the head; <c>From</c> is null for a loop-invariant input whose state the operator keeps.</summary>
        public List<ChainInput> Inputs { get; } = new();

        public StateSlot[]? Slots { get; set; }

        /// <summary>The aggregation whose table the head (a join) probes: its input is the head's build input (<see cref="IAggregateProbe"/>).</summary>
        public Node? ProbedAggregate { get; set; }
    }

    /// <summary>An input of a chain's head; <c>Via</c> is the node whose input requirement the edge meets, when not the head's (an absorbed aggregation).</summary>
    private sealed record ChainInput(ShipStrategy Strategy, string Description, Chain? From, Array? Recording, Node? Via = null);

    public JobCompiler(IReadOnlyList<Node> sinks, RunContext? run = null)
    {
        _run = run ?? new RunContext(default);
        _scope = _run.Scope;
        var visited = new HashSet<Node>();
        foreach (var s in sinks) Visit(s, visited);
        foreach (var n in _order)
        {
            if (_run.Computed.ContainsKey(n)) continue; // its inputs are not read
            foreach (var (input, i) in n.Inputs.Select((x, i) => (x, i)))
            {
                if (_consumers.TryGetValue(input, out var list)) list.Add((n, i));
            }
        }
        foreach (var n in _order) Place(n);
    }

    private bool Pruned(Node n) => _scope is { BuildsInvariants: false } && !_scope.IsDynamic(n);

    private bool IsStaticEdge(Node consumer, Node input) =>
        _scope is not null && _scope.IsDynamic(consumer) && !_scope.IsDynamic(input);

    private void Visit(Node n, HashSet<Node> visited)
    {
        if (Pruned(n) || !visited.Add(n)) return;
        if (!_run.Computed.ContainsKey(n))
        {
            foreach (var i in n.Inputs) Visit(i, visited);
        }
        _order.Add(n);
        _consumers.TryAdd(n, new());
    }

    private int P(Node n) => _scope?.ParallelismOf(n) ?? n.Parallelism;

    /// <summary>The ship strategy for input <paramref name="i"/> of <paramref name="n"/>.</summary>
    public ShipStrategy StrategyOf(Node n, int i)
    {
        var input = n.Inputs[i];
        bool same = P(input) == P(n);
        return n.RequirementKindOf(i) switch
        {
            RequirementKind.Any => same ? ShipStrategy.Forward : ShipStrategy.Rebalance,
            RequirementKind.Rebalance => ShipStrategy.Rebalance,
            RequirementKind.Broadcast => ShipStrategy.Broadcast,
            // Even at parallelism 1 a hash edge stays an exchange: it splits the chain into tasks that run as a pipeline on
            // separate threads (measured: chaining a distinct's combiner into its final stage at p=1 doubled the components' time).
            RequirementKind.Hash => same && KeySelectors.Same(input.PartitionedBy, n.RequiredKey(i))
                ? ShipStrategy.Forward
                : ShipStrategy.Hash,
            _ => throw new InvalidOperationException(),
        };
    }

    private void Place(Node n)
    {
        if (_run.Computed.TryGetValue(n, out var kept))
        {
            // Computed by an earlier job of the run: its kept output is read instead (consumers still see n's distribution).
            var source = new Chain(kept);
            _chains.Add(source);
            _chainOf[n] = source;
            return;
        }
        if (n.Inputs.Length == 1 && !IsStaticEdge(n, n.Inputs[0]) && !(n.IsResultSink && _run.SeparateResultSinks))
        {
            var input = n.Inputs[0];
            if (StrategyOf(n, 0) == ShipStrategy.Forward && _consumers[input].Count == 1)
            {
                var chain = _chainOf[input];
                chain.Nodes.Add(n);
                _chainOf[n] = chain;
                return;
            }
        }
        var c = new Chain(n);
        _chains.Add(c);
        _chainOf[n] = c;
        for (int i = 0; i < n.Inputs.Length; i++)
        {
            var input = n.Inputs[i];
            var s = StrategyOf(n, i);
            if (i == 1 && ProbesAggregate(n, input))
            {
                // The join takes the aggregation's table as its own: the aggregation's task goes, its input feeds the join.
                var aggregation = _chainOf[input];
                _chains.Remove(aggregation);
                c.ProbedAggregate = input;
                var from = input.Inputs[0];
                var strategy = StrategyOf(input, 0);
                c.Inputs.Add(new(strategy, input.DescribeEdge(0, strategy), _chainOf[from], null, input));
                continue;
            }
            if (!IsStaticEdge(n, input))
            {
                c.Inputs.Add(new(s, n.DescribeEdge(i, s), _chainOf[input], null));
                continue;
            }
            var key = (n, i);
            if (n.CacheableStaticInput == i)
            {
                if (!_scope!.Slots.TryGetValue(key, out var slots))
                {
                    slots = Enumerable.Range(0, P(n)).Select(_ => new StateSlot()).ToArray();
                    _scope.Slots[key] = slots;
                }
                c.Slots = slots;
                c.Inputs.Add(_scope.BuildsInvariants
                    ? new(s, n.DescribeEdge(i, s) + " (loop-invariant, indexed once)", _chainOf[input], null)
                    : new(s, "cached index", null, null));
            }
            else if (_scope!.BuildsInvariants)
            {
                var recording = input.CreateRecording(P(n));
                _scope.Recordings[key] = recording;
                c.Inputs.Add(new(s, n.DescribeEdge(i, s) + " (loop-invariant, cached)", _chainOf[input], recording));
            }
            else
            {
                var replay = new Chain(input.CreateReplaySource(_scope.Recordings[key], P(n)));
                _chains.Insert(_chains.IndexOf(c), replay);
                c.Inputs.Add(new(ShipStrategy.Forward, "forward (cached loop-invariant input)", replay, null));
            }
        }
    }

    /// <summary>
    /// True when join <paramref name="n"/> probes the table of aggregation <paramref name="build"/>, its build input: the
    /// aggregation's output is partitioned on the join's build key at the join's parallelism (a forward edge), only the join
    /// reads it, it runs alone in its task, and it changes with the superstep (a loop-invariant build side is indexed once).
    /// </summary>
    private bool ProbesAggregate(Node n, Node build) =>
        n is IAggregateProbe join && join.ProbesAggregate(build) && StrategyOf(n, 1) == ShipStrategy.Forward && !IsStaticEdge(n, build)
        && !_run.Computed.ContainsKey(build) && _consumers[build].Count == 1 && _chainOf[build] is { Nodes.Count: 1 } alone && alone.Head == build
        && !build.IsResultSink;

    /// <summary>Throws <see cref="FileNotFoundException"/> for a missing input file.</summary>
    public void CheckInputs()
    {
        foreach (var n in _order)
        {
            if (n.InputPath is { } path && !File.Exists(path))
            {
                throw new FileNotFoundException($"Input file not found: {path} (read by {n.Name}).", path);
            }
        }
    }

    public JobGraph Build()
    {
        var graph = new JobGraph();
        if (_scope is not null)
        {
            _scope.ForgetStaleScratch();
            foreach (var n in _chains.SelectMany(c => c.Nodes).Where(_scope.IsDynamic)) _scratch[n] = _scope.ScratchOf(n, P(n));
        }
        foreach (var c in _chains)
        {
            var chain = c;
            c.Vertex = graph.AddVertex(NameOf(c), P(c.Head),
                ctx => CreateBody(chain, ctx), isResultSink: c.Head.IsResultSink && _run.SeparateResultSinks);
        }
        foreach (var c in _chains)
        {
            for (int i = 0; i < c.Inputs.Count; i++)
            {
                var (strategy, description, from, _, via) = c.Inputs[i];
                if (from is null) continue;
                // The edge meets the requirement of the node it feeds: the head's input, or the absorbed aggregation's.
                var head = via ?? c.Head;
                int input = via is null ? i : 0;
                graph.Connect(from.Vertex!, c.Vertex!, strategy, description, targets => head.CreateEdgeOutput(input, strategy, targets),
                    head.Inputs[input].CreateCodec());
            }
        }
        return graph;
    }

    /// <summary>True when the chain's head and the next operator run as one fused operator (a join folding into a combiner).</summary>
    private static bool Fused(Chain c) => c.ProbedAggregate is null && c.Nodes.Count >= 2 && c.Nodes[1] is IFusable f && f.FusesWith(c.Head);

    /// <summary>The task's name: its operators in order, a fused pair joined by <c>+</c> (an aggregation whose table a join probes first).</summary>
    private static string NameOf(Chain c) => Fused(c)
        ? string.Join(" -> ", c.Nodes.Skip(2).Select(x => x.Name).Prepend($"{c.Head.Name}+{c.Nodes[1].Name}"))
        : c.ProbedAggregate is { } aggregation
            ? string.Join(" -> ", c.Nodes.Skip(1).Select(x => x.Name).Prepend($"{aggregation.Name}+{c.Head.Name}"))
            : string.Join(" -> ", c.Nodes.Select(x => x.Name));

    private SubtaskBody CreateBody(Chain chain, SubtaskContext ctx)
    {
        object? down = ctx.Outputs.Count switch
        {
            0 => null,
            1 => ctx.Outputs[0],
            _ => chain.Tail.CreateFanOut(ctx.Outputs.ToArray()),
        };
        bool fused = Fused(chain);
        for (int i = chain.Nodes.Count - 1; i >= (fused ? 2 : 1); i--)
        {
            var node = chain.Nodes[i];
            down = node.CreateInputs(down, new OperatorInfo(node.Name, ctx.Subtask, ctx.BatchSize) { MaxParallelism = ctx.MaxParallelism, Scratch = ScratchOf(node, ctx) }, _run)[0];
        }
        var head = chain.Head;
        if (head.IsSource) return head.CreateSource(ctx, down!, _run);
        var info = new OperatorInfo(head.Name, ctx.Subtask, ctx.BatchSize)
        {
            StaticState = chain.Slots?[ctx.Subtask], MaxParallelism = ctx.MaxParallelism, Scratch = ScratchOf(head, ctx),
        };
        var inputs = fused
            ? ((IFusable)chain.Nodes[1]).TryFuse(head, down, info) ?? throw new InvalidOperationException($"{NameOf(chain)} was planned fused but did not fuse.")
            : chain.ProbedAggregate is { } aggregation
                ? ((IAggregateProbe)head).CreateProbingAggregate(aggregation, down, info)
                : head.CreateInputs(down, info, _run);
        var adapters = new List<IInputAdapter>();
        for (int i = 0; i < inputs.Length; i++)
        {
            var ci = chain.Inputs[i];
            if (ci.From is null) continue; // the operator already holds this input's state
            adapters.Add((ci.Via is { } via ? via.Inputs[0] : head.Inputs[i]).CreateAdapter(inputs[i], ci.Recording, ctx.Subtask));
        }
        return new HeadBody(adapters.ToArray());
    }

    private StateSlot? ScratchOf(Node n, SubtaskContext ctx) =>
        _scratch.TryGetValue(n, out var slots) && ctx.Subtask < slots.Length ? slots[ctx.Subtask] : null;

    private sealed class HeadBody(IInputAdapter[] inputs) : SubtaskBody
    {
        public override void OnBatch(int input, Array items, int count) => inputs[input].OnBatch(items, count);

        public override void OnInputEnd(int input) => inputs[input].OnEnd();

        public override void Close()
        {
            // Inputs close their operators as they end; nothing is left to flush here.
        }
    }

    /// <summary>The physical plan as text: one line per task with its chained operators, then its input exchanges.</summary>
    public string Explain()
    {
        var sb = new StringBuilder();
        sb.Append("Physical plan: ").Append(_chains.Count).Append(_chains.Count == 1 ? " task" : " tasks").Append('\n');
        var index = _chains.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i + 1);
        foreach (var c in _chains)
        {
            sb.Append('[').Append(index[c]).Append("] ")
              .Append(NameOf(c))
              .Append("  (parallelism ").Append(P(c.Head)).Append(')')
              .Append(Fused(c) ? $"  [{c.Head.Name} fused with {c.Nodes[1].Name}: each match folds into its group's accumulator]\n"
                  : c.ProbedAggregate is { } aggregation ? $"  [{c.Head.Name} probes {aggregation.Name}'s table: no record between them]\n" : "\n");
            foreach (var ci in c.Inputs)
            {
                sb.Append("      <- ").Append(ci.Description);
                if (ci.From is not null) sb.Append(" from [").Append(index[ci.From]).Append(']');
                sb.Append('\n');
            }
        }
        return sb.ToString();
    }
}
