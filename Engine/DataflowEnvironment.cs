using Dataflow.Operators.Sources;
using Dataflow.Plan;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Hosting;
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

    /// <summary>Creates an environment; prefer <see cref="Create"/>, <see cref="CreateLocal"/> or dependency injection (<c>services.AddDataflow()</c>).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="observers">Who is told of supersteps, rescales and job ends.</param>
    /// <param name="host">Where jobs run: <see cref="LocalJobHost"/> embedded, a cluster's host in a program the launcher runs.</param>
    /// <param name="elasticity">The policy that may change the parallelism of iterations, or null.</param>
    public DataflowEnvironment(IOptions<DataflowOptions> options, IEnumerable<IDataflowObserver> observers, IJobHost host, IElasticityPolicy? elasticity = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observers);
        Host = host ?? throw new ArgumentNullException(nameof(host));
        ElasticityPolicy = elasticity;
        Host.Placed += record =>
        {
            foreach (var o in ActiveObservers) o.OnPlacement(record);
        };
        Options = options.Value;
        Options.Validate();
        _observers = observers.ToList();
    }

    /// <summary>The observers that receive superstep statistics and job ends.</summary>
    public IReadOnlyList<IDataflowObserver> Observers => _observers;

    /// <summary>The policy that may change the parallelism of iterations at superstep barriers (docs/architecture.md §8), or null for fixed parallelism.</summary>
    public IElasticityPolicy? ElasticityPolicy { get; private set; }

    /// <summary>
    /// Chooses how a cluster places this program's subtasks (architecture §9): <c>locality</c>,
    /// <c>bottleneck-aware</c> (with load predictor <c>arima</c> or <c>slidhmm</c>), or the name of a
    /// policy registered with the coordinator (<c>AddPlacementPolicy&lt;T&gt;()</c>); the coordinator
    /// fails the job with the names it knows when it has none of that name. Embedded, every subtask
    /// runs in this process and the choice has no effect.
    /// </summary>
    public DataflowEnvironment UsePlacement(string? policy, string? predictor = null)
    {
        if (policy is { Length: 0 }) throw new ArgumentException("A placement policy's name is not empty (null: the default).", nameof(policy));
        if (predictor is not (null or "arima" or "slidhmm")) throw new ArgumentException($"Unknown load predictor '{predictor}' (known: arima, slidhmm).", nameof(predictor));
        Host.UsePlacement(policy ?? "", predictor ?? "");
        return this;
    }

    /// <summary>Rescales iterations with <paramref name="policy"/> (null: fixed parallelism); see <c>Dataflow.CommandLine.ElasticityOptions</c> for the command-line form.</summary>
    public DataflowEnvironment UseElasticity(IElasticityPolicy? policy)
    {
        ElasticityPolicy = policy;
        return this;
    }

    /// <summary>
    /// Checkpoints every iteration's state after every <paramref name="interval"/>-th superstep (docs/checkpoints.md):
    /// partial solution, solution set, workset, aggregator values, the elasticity policy's memory and the
    /// superstep, in a folder of this job under <paramref name="directory"/> (default: <c>checkpoints</c> under
    /// the working directory). The iteration stands still only to serialize its state; files are written in the
    /// background. A run of <see cref="ResumeFrom"/> goes on from the last complete one. An iteration's
    /// checkpoints are removed when it ends; a failed or cancelled job's stay.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is below 1.</exception>
    public DataflowEnvironment EnableCheckpoints(int interval, string? directory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        if (directory is { Length: 0 }) throw new ArgumentException("A checkpoint directory is not empty (null: the default).", nameof(directory));
        Options.CheckpointInterval = interval;
        Options.CheckpointDirectory = directory;
        return this;
    }

    /// <summary>
    /// Makes the iterations of this run go on from the checkpoints of an earlier run of the same program:
    /// <paramref name="directory"/> is that job's checkpoint folder (it holds <c>job.json</c>), or a checkpoint
    /// directory, whose newest job is taken. Each iteration that has a complete checkpoint there restores it
    /// and goes on with the next superstep; its loop-invariant inputs are read again. With
    /// <see cref="EnableCheckpoints"/>, new checkpoints go to the same job folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist or holds no job's checkpoints.</exception>
    public DataflowEnvironment ResumeFrom(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        // A cluster worker's copy takes the submitter's folder (its working directory is another).
        Options.ResumeFrom = IsWorkerCopy ? directory : CheckpointJob.FindJob(directory);
        return this;
    }

    /// <summary>This run's checkpoint job folder and iteration runs (created at the first iteration that checkpoints or resumes).</summary>
    internal CheckpointJob Checkpoints => _checkpoints ??= new CheckpointJob(Options);

    private CheckpointJob? _checkpoints;

    /// <summary>The observers told of events here: none in a cluster worker's copy of the program (the submitter tells them).</summary>
    internal IReadOnlyList<IDataflowObserver> ActiveObservers => IsWorkerCopy ? [] : Host.Observers.Count == 0 ? _observers : [.. _observers, .. Host.Observers];

    /// <summary>Where this program's jobs run (the engine reaches a cluster only through it).</summary>
    internal IJobHost Host { get; }

    /// <summary>True in a cluster worker's copy of the program: it runs its subtasks; results and files belong to the submitter.</summary>
    internal bool IsWorkerCopy => Host.Mode == HostMode.Worker;

    /// <summary>
    /// Where jobs run: <c>embedded</c> (this process), <c>submitter</c> or <c>worker</c> (a copy of the
    /// program started by <c>./dataflow run</c> or <c>submit</c>).
    /// </summary>
    public string Mode => Host.Mode.ToString().ToLowerInvariant();

    /// <summary>Makes a value the submitter computed from a job's result the value of every copy of the program.</summary>
    internal Task<TValue> ShareAsync<TValue>(TValue value) =>
        Host.Mode == HostMode.Embedded ? Task.FromResult(value) : SharedValue.ShareAsync(Host.Mode == HostMode.Submitter, Host.ShareAsync, value);

    /// <summary>Adds an observer (such as a <see cref="Dataflow.JsonStatisticsWriter"/> or a progress display).</summary>
    public DataflowEnvironment AddObserver(IDataflowObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observers.Add(observer);
        return this;
    }

    /// <summary>
    /// Creates an embedded environment that runs jobs in this process on <paramref name="parallelism"/>
    /// subtasks per operator, always. A program that should also run on a cluster uses <see cref="Create"/>.
    /// </summary>
    /// <param name="parallelism">Default parallelism; null for the number of cores.</param>
    /// <exception cref="InvalidOperationException">The program was started by the launcher (<c>./dataflow run</c> or <c>submit</c>) to run on a cluster.</exception>
    public static DataflowEnvironment CreateLocal(int? parallelism = null)
    {
        if (JobHostContext.Current is { } launched)
        {
            throw new InvalidOperationException(
                $"This program was started by the launcher as the {launched.Mode.ToString().ToLowerInvariant()} of a cluster job, but creates an embedded " +
                "environment (DataflowEnvironment.CreateLocal). Use DataflowEnvironment.Create(), which runs embedded by default and on the cluster under the launcher.");
        }
        return Build(new LocalJobHost(), parallelism);
    }

    /// <summary>
    /// Creates the environment the program is run in: embedded (as <see cref="CreateLocal"/>) when
    /// started on its own, or one copy of a cluster job when started by the launcher
    /// (<c>./dataflow run --workers N -- program</c> or <c>./dataflow submit</c>), which says so explicitly
    /// through <see cref="JobHostContext"/>. The same program gives the same answer either way.
    /// </summary>
    /// <param name="parallelism">Default parallelism; null for the cluster job's, or the number of cores embedded.</param>
    public static DataflowEnvironment Create(int? parallelism = null) => Build(JobHostContext.Current ?? new LocalJobHost(), parallelism);

    private static DataflowEnvironment Build(IJobHost host, int? parallelism)
    {
        var services = new ServiceCollection();
        services.AddSingleton(host);
        services.AddDataflow(o =>
        {
            if ((parallelism ?? host.Parallelism) is int p) o.Parallelism = p;
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
        var run = new RunContext(cancellationToken) { SeparateResultSinks = Host.Mode != HostMode.Embedded };
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

    private int _plansCompiled;

    /// <summary>Job graphs compiled by this environment so far (a warm superstep runs the step compiled before: tests count them).</summary>
    internal int PlansCompiled => Volatile.Read(ref _plansCompiled);

    /// <summary>Runs one job of a run: iterations it depends on first, then the job itself.</summary>
    internal async Task<JobExecutionResult> RunJobAsync(IReadOnlyList<Node> sinks, RunContext run, IterationScope? scope = null)
    {
        foreach (var iteration in Iterations.IterationNode.Pending(sinks, run))
        {
            await iteration.ExecuteAsync(run).ConfigureAwait(false);
        }
        var graph = scope?.CompiledFor(sinks);
        if (graph is null)
        {
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
            if (Host.Mode != HostMode.Submitter) compiler.CheckInputs(); // the submitter reads no inputs
            graph = compiler.Build();
            scope?.KeepCompiled(sinks, graph);
            Interlocked.Increment(ref _plansCompiled);
        }
        var result = await Host.RunAsync(graph, new LocalExecutor(Options.ToExecutionOptions()), scope?.SubtaskDone, run.Token).ConfigureAwait(false);
        run.Jobs.Add(result);
        return result;
    }
}
