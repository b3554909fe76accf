namespace Dataflow.Runtime.Execution;

/// <summary>How an edge distributes records from producer subtasks to consumer subtasks.</summary>
public enum ShipStrategy
{
    /// <summary>Producer subtask i feeds consumer subtask i (same parallelism).</summary>
    Forward,

    /// <summary>By key group of a key (docs/architecture.md §4).</summary>
    Hash,

    /// <summary>Every record to every consumer subtask.</summary>
    Broadcast,

    /// <summary>Round-robin by batch, to even out load or change parallelism.</summary>
    Rebalance,
}

/// <summary>A vertex of the job graph: a chain of operators that runs as <see cref="Parallelism"/> subtasks.</summary>
public sealed class JobVertex
{
    private readonly List<JobEdge> _inputs = new();
    private readonly List<JobEdge> _outputs = new();

    /// <summary>Creates a vertex.</summary>
    /// <param name="id">Deterministic id (creation order).</param>
    /// <param name="name">Display name: the chained operators joined by " -> ".</param>
    /// <param name="parallelism">Number of subtasks.</param>
    /// <param name="createBody">Instantiates the operator chain of one subtask.</param>
    public JobVertex(int id, string name, int parallelism, Func<SubtaskContext, SubtaskBody> createBody)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        Id = id;
        Name = name;
        Parallelism = parallelism;
        CreateBody = createBody;
    }

    /// <summary>Deterministic id.</summary>
    public int Id { get; }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>Number of subtasks.</summary>
    public int Parallelism { get; }

    /// <summary>A sink whose result belongs to the program (collect, count, files): in cluster mode it runs in the submitting process.</summary>
    public bool IsResultSink { get; init; }

    /// <summary>Instantiates one subtask's operator chain.</summary>
    public Func<SubtaskContext, SubtaskBody> CreateBody { get; }

    /// <summary>Incoming edges, ordered by target input index.</summary>
    public IReadOnlyList<JobEdge> Inputs => _inputs;

    /// <summary>Outgoing edges, in the order the chain's outputs are numbered.</summary>
    public IReadOnlyList<JobEdge> Outputs => _outputs;

    internal void AddInput(JobEdge e) => _inputs.Add(e);

    internal void AddOutput(JobEdge e) => _outputs.Add(e);
}

/// <summary>An edge of the job graph with its partitioning contract.</summary>
public sealed class JobEdge
{
    internal JobEdge(JobVertex source, JobVertex target, int targetInput, ShipStrategy strategy, string description,
        Func<Exchange.ExchangeTargets, object> createOutput, Serialization.BatchCodec? codec)
    {
        Codec = codec;
        Source = source;
        Target = target;
        TargetInput = targetInput;
        Strategy = strategy;
        Description = description;
        CreateOutput = createOutput;
    }

    /// <summary>The producing vertex.</summary>
    public JobVertex Source { get; }

    /// <summary>The consuming vertex.</summary>
    public JobVertex Target { get; }

    /// <summary>The consumer-side input this edge feeds.</summary>
    public int TargetInput { get; }

    /// <summary>The partitioning contract.</summary>
    public ShipStrategy Strategy { get; }

    /// <summary>Human-readable form for <c>Explain()</c>, e.g. <c>hash(word)</c>.</summary>
    public string Description { get; }

    /// <summary>Moves the edge's batches between processes (null when the edge never leaves a process).</summary>
    public Serialization.BatchCodec? Codec { get; }

    /// <summary>Creates the typed <c>Collector&lt;T&gt;</c> that one producer subtask writes into.</summary>
    public Func<Exchange.ExchangeTargets, object> CreateOutput { get; }
}

/// <summary>A directed acyclic graph of vertices; built once per job, identical in every process.</summary>
public sealed class JobGraph
{
    private readonly List<JobVertex> _vertices = new();

    /// <summary>Vertices in creation (topological) order.</summary>
    public IReadOnlyList<JobVertex> Vertices => _vertices;

    /// <summary>Adds a vertex.</summary>
    public JobVertex AddVertex(string name, int parallelism, Func<SubtaskContext, SubtaskBody> createBody, bool isResultSink = false)
    {
        var v = new JobVertex(_vertices.Count, name, parallelism, createBody) { IsResultSink = isResultSink };
        _vertices.Add(v);
        return v;
    }

    /// <summary>Connects <paramref name="source"/>'s next output to <paramref name="target"/>'s next input.</summary>
    public JobEdge Connect(JobVertex source, JobVertex target, ShipStrategy strategy, string description,
        Func<Exchange.ExchangeTargets, object> createOutput, Serialization.BatchCodec? codec = null)
    {
        if (strategy == ShipStrategy.Forward && source.Parallelism != target.Parallelism)
        {
            throw new ArgumentException($"A forward edge needs equal parallelism ({source.Name}: {source.Parallelism}, {target.Name}: {target.Parallelism}).");
        }
        var e = new JobEdge(source, target, target.Inputs.Count, strategy, description, createOutput, codec);
        source.AddOutput(e);
        target.AddInput(e);
        return e;
    }
}
