using Dataflow.Operators.Sources;
using Dataflow.Plan;
using Dataflow.Runtime.Cluster;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Serialization;
using Dataflow.Runtime.Statistics;
using Dataflow.Iterations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dataflow;

/// <summary>
/// The entry point of a dataflow program: creates data sets from sources and runs jobs.
/// </summary>
/// <example>
/// <code>
/// var env = DataflowEnvironment.CreateLocal(parallelism: 4);
/// var counts = await env.ReadTextLines("book.txt")
///     .SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
///     .GroupBy(word => word)
///     .Count()
///     .CollectAsync();
/// </code>
/// </example>
public sealed class DataflowEnvironment
{
    private int _nextNodeId;
    private readonly List<IDataflowObserver> _observers;
    private readonly ClusterSession? _cluster = ClusterSession.Current;

    /// <summary>Creates an environment; prefer <see cref="CreateLocal"/> or dependency injection (<c>services.AddDataflow()</c>).</summary>
    public DataflowEnvironment(IOptions<DataflowOptions> options, IEnumerable<IDataflowObserver> observers, IElasticityPolicy? elasticity = null)
    {
        ElasticityPolicy = elasticity;
        if (_cluster is { IsSubmitter: true } cluster)
        {
            cluster.Placed += (step, superstep, d) =>
            {
                var record = new PlacementRecord(step, d.Policy, d.Parallelism, d.Workers,
                    d.PredictionWorkers.Select((w, i) => (w, i)).ToDictionary(x => x.w, x => (d.PredictedLoads[x.i], d.Bottlenecks[x.i])))
                {
                    Superstep = superstep,
                };
                foreach (var o in ActiveObservers) o.OnPlacement(record);
            };
        }
        Options = options.Value;
        Options.Validate();
        _observers = observers.ToList();
    }

    /// <summary>The observers that receive superstep statistics and job ends.</summary>
    public IReadOnlyList<IDataflowObserver> Observers => _observers;

    /// <summary>The policy that may change the parallelism of iterations at superstep barriers (DESIGN.md §8), or null for fixed parallelism.</summary>
    public IElasticityPolicy? ElasticityPolicy { get; private set; }

    /// <summary>
    /// Chooses how a cluster places this program's subtasks (DESIGN.md §9): <c>locality</c> or
    /// <c>bottleneck-aware</c> (with load predictor <c>arima</c> or <c>slidhmm</c>). Embedded,
    /// every subtask runs in this process and the choice has no effect.
    /// </summary>
    public DataflowEnvironment UsePlacement(string? policy, string? predictor = null)
    {
        if (policy is not (null or "locality" or "bottleneck-aware")) throw new ArgumentException($"Unknown placement policy '{policy}' (known: locality, bottleneck-aware).", nameof(policy));
        if (predictor is not (null or "arima" or "slidhmm")) throw new ArgumentException($"Unknown load predictor '{predictor}' (known: arima, slidhmm).", nameof(predictor));
        if (_cluster is not null) _cluster.Placement = (policy ?? "", predictor ?? "");
        return this;
    }

    /// <summary>Rescales iterations with <paramref name="policy"/> (null: fixed parallelism); see <c>ElasticityCommandLine</c> for the command-line form.</summary>
    public DataflowEnvironment UseElasticity(IElasticityPolicy? policy)
    {
        ElasticityPolicy = policy;
        return this;
    }

    /// <summary>The observers told of events here: none in a cluster worker's copy of the program (the submitter tells them).</summary>
    internal IReadOnlyList<IDataflowObserver> ActiveObservers => IsWorkerCopy ? [] : _observers;

    /// <summary>The cluster job this program runs in, or null when it runs embedded.</summary>
    internal ClusterSession? Cluster => _cluster;

    /// <summary>True in a cluster worker's copy of the program: it runs its subtasks; results and files belong to the submitter.</summary>
    internal bool IsWorkerCopy => _cluster is { IsSubmitter: false };

    /// <summary>
    /// Where jobs run: <c>embedded</c> (this process), <c>submitter</c> or <c>worker</c> (a copy of the
    /// program started by <c>./dataflow run</c> or <c>submit</c>).
    /// </summary>
    public string Mode => _cluster is null ? "embedded" : _cluster.IsSubmitter ? "submitter" : "worker";

    /// <summary>Makes a value the submitter computed from a job's result the value of every copy of the program.</summary>
    internal async Task<TValue> ShareAsync<TValue>(TValue value)
    {
        if (_cluster is null) return value;
        var serializer = Serializers.Get<TValue>();
        if (_cluster.IsSubmitter)
        {
            var w = new ByteWriter(1024);
            serializer.Write(w, value);
            await _cluster.ShareAsync(w.WrittenSpan.ToArray()).ConfigureAwait(false);
            return value;
        }
        var bytes = await _cluster.ShareAsync(null).ConfigureAwait(false);
        return serializer.Read(new ByteReader(bytes));
    }

    /// <summary>Adds an observer (such as a <see cref="Runtime.Statistics.JsonStatisticsWriter"/> or a progress display).</summary>
    public DataflowEnvironment AddObserver(IDataflowObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observers.Add(observer);
        return this;
    }

    /// <summary>Creates an embedded environment that runs jobs in this process on <paramref name="parallelism"/> subtasks per operator.</summary>
    /// <param name="parallelism">Default parallelism; null for the number of cores.</param>
    public static DataflowEnvironment CreateLocal(int? parallelism = null)
    {
        var services = new ServiceCollection();
        services.AddDataflow(o =>
        {
            if (parallelism is int p) o.Parallelism = p;
        });
        return services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();
    }

    /// <summary>The settings in force.</summary>
    public DataflowOptions Options { get; }

    /// <summary>The default parallelism of operators.</summary>
    public int Parallelism => Options.Parallelism;

    /// <summary>Statistics of the last job this environment ran, or null.</summary>
    public JobExecutionResult? LastJobResult { get; private set; }

    internal int NextNodeId() => Interlocked.Increment(ref _nextNodeId);

    /// <summary>A data set of the items of a list, read in parallel slices.</summary>
    public DataSet<T> FromCollection<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(new SourceOperatorNode<T>(this, $"FromCollection({items.Count})", Parallelism,
            (ctx, down) => new CollectionSource<T>(items, ctx, down, "FromCollection")));
    }

    /// <summary>A data set of an arbitrary sequence, read by a single subtask.</summary>
    public DataSet<T> FromEnumerable<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(new SourceOperatorNode<T>(this, "FromEnumerable", 1,
            (ctx, down) => new EnumerableSource<T>(items, ctx, down, "FromEnumerable")));
    }

    /// <summary>A data set of <c>generate(i)</c> for <c>0 ≤ i &lt; count</c>, generated in parallel ranges.</summary>
    public DataSet<T> Generate<T>(long count, Func<long, T> generate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(generate);
        return new(new SourceOperatorNode<T>(this, $"Generate({count})", Parallelism,
            (ctx, down) => new GenerateSource<T>(count, generate, ctx, down, "Generate")));
    }

    /// <summary>The lines of a UTF-8 text file, read in parallel byte ranges (without line terminators).</summary>
    public DataSet<string> ReadTextLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var name = $"ReadTextLines({Path.GetFileName(path)})";
        return new(new SourceOperatorNode<string>(this, name, Parallelism,
            (ctx, down) => new TextLineSource(path, ctx, down, name), path));
    }

    /// <summary>
    /// The rows of a delimited text file parsed by <paramref name="parse"/>, read in parallel byte
    /// ranges. Blank lines (and comment lines, see <see cref="CsvFormat.CommentPrefix"/>) are skipped;
    /// a row that fails to parse fails the job with <c>path:line: reason</c>.
    /// </summary>
    /// <example>
    /// <code>
    /// var points = env.ReadCsv("points.csv", row => (row.GetDouble(0), row.GetDouble(1)));
    /// </code>
    /// </example>
    public DataSet<T> ReadCsv<T>(string path, CsvParser<T> parse, CsvFormat? format = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(parse);
        var f = format ?? CsvFormat.Default;
        var name = $"ReadCsv({Path.GetFileName(path)})";
        return new(new SourceOperatorNode<T>(this, name, Parallelism,
            (ctx, down) => new CsvSource<T>(path, parse, f, ctx, down, name), path));
    }

    /// <summary>Runs the job that ends in <paramref name="sinks"/>, first running the iterations it reads.</summary>
    internal async Task<JobExecutionResult> RunAsync(IReadOnlyList<Node> sinks, CancellationToken cancellationToken)
    {
        var run = new RunContext(cancellationToken) { SeparateResultSinks = _cluster is not null };
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var result = await RunJobAsync(sinks, run).ConfigureAwait(false);
            LastJobResult = result;
            Notify(new JobSummary("finished", System.Diagnostics.Stopwatch.GetElapsedTime(start), run.Supersteps));
            return result;
        }
        catch (OperationCanceledException)
        {
            Notify(new JobSummary("cancelled", System.Diagnostics.Stopwatch.GetElapsedTime(start), run.Supersteps));
            throw;
        }
        catch (Exception e)
        {
            Notify(new JobSummary("failed", System.Diagnostics.Stopwatch.GetElapsedTime(start), run.Supersteps, e.Message));
            throw;
        }
    }

    private void Notify(JobSummary summary)
    {
        foreach (var o in ActiveObservers) o.OnJobFinished(summary);
    }

    /// <summary>Runs one job of a run: iterations it depends on first, then the job itself.</summary>
    internal async Task<JobExecutionResult> RunJobAsync(IReadOnlyList<Node> sinks, RunContext run, IterationScope? scope = null)
    {
        foreach (var iteration in Iterations.IterationNode.Pending(sinks, run))
        {
            await iteration.ExecuteAsync(run).ConfigureAwait(false);
        }
        run.Scope = scope;
        JobCompiler compiler;
        try
        {
            compiler = new JobCompiler(sinks, run);
        }
        finally
        {
            run.Scope = null;
        }
        if (_cluster is not { IsSubmitter: true }) compiler.CheckInputs(); // the submitter reads no inputs
        var graph = compiler.Build();
        var executor = new LocalExecutor(Options.ToExecutionOptions());
        var result = _cluster is null
            ? await executor.ExecuteAsync(graph, run.Token).ConfigureAwait(false)
            : await _cluster.RunStepAsync(graph, executor, run.Token).ConfigureAwait(false);
        run.Jobs.Add(result);
        return result;
    }
}
