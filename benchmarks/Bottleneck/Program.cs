using System.CommandLine;
using System.Globalization;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Benchmarks.Bottleneck;

// The bottleneck experiment (issue #7, docs/architecture.md §9).
//   Bottleneck generate --data DIR [--pages N] [--visits M] [--seed S]
//   Bottleneck query --query scan|aggregate|join|iterate --data DIR [--parallelism P] [--placement locality|bottleneck-aware] [--predictor arima|slidhmm] [--stats F]
//   Bottleneck experiment [--queries N] [--seed S] [--data DIR] [--quota 0.5] [--bottlenecks 1] [--parallelism 6] [--pages N] [--visits M]
var root = new RootCommand("the bottleneck experiment: BDB-style queries on emulated nodes with fluctuating bottlenecks, under locality and bottleneck-aware placement")
{
    GenerateCommand(),
    QueryCommand(),
    ExperimentCommand(),
};
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0) return CommandLineOptions.ReportUsageErrors(parsed, Console.Error);
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (ArgumentException e)
{
    return CommandLineOptions.ReportUsageError(parsed, Console.Error, e.Message);
}

static Option<string> Data(bool required, string? fallback = null) => new("--data")
{
    Description = "the folder of the tables (rankings.csv, uservisits.csv)",
    Required = required,
    DefaultValueFactory = fallback is null ? null : _ => fallback,
    HelpName = "DIR",
};

static Option<int> Pages() => CommandLineOptions.Int("--pages", "rows of the rankings table", 1_000_000, 1);

static Option<int> Visits() => CommandLineOptions.Int("--visits", "rows of the user-visits table", 3_000_000, 1);

static Command GenerateCommand()
{
    var data = Data(required: true);
    var pages = Pages();
    var visits = Visits();
    var seed = CommandLineOptions.Int("--seed", "the generator's seed", 42);
    var command = new Command("generate", "writes the rankings and user-visits tables") { data, pages, visits, seed };
    command.SetAction(r => Queries.Generate(r.GetValue(data)!, r.GetValue(pages), r.GetValue(visits), r.GetValue(seed)));
    return command;
}

static Command QueryCommand()
{
    var query = CommandLineOptions.OneOf(new Option<string>("--query") { Description = "the query", Required = true }, "scan", "aggregate", "join", "iterate");
    var data = Data(required: true);
    var parallelism = CommandLineOptions.OptionalInt("--parallelism", "subtasks per operator", 1);
    var placement = new Option<string>("--placement") { Description = "the placement policy: locality or bottleneck-aware" };
    var predictor = CommandLineOptions.OneOf(new Option<string>("--predictor") { Description = "the load predictor of bottleneck-aware placement" }, "arima", "slidhmm");
    var stats = new Option<string>("--stats") { Description = "writes statistics to this file (JSON lines)" };
    var command = new Command("query", "runs one query (as a program submitted to the cluster) and prints its result") { query, data, parallelism, placement, predictor, stats };
    command.SetAction((r, _) => Query(r.GetValue(query)!, r.GetValue(data)!, r.GetValue(parallelism), r.GetValue(placement), r.GetValue(predictor), r.GetValue(stats)));
    return command;
}

static Command ExperimentCommand()
{
    var d = new ExperimentOptions();
    var queries = CommandLineOptions.Int("--queries", "queries per placement policy", d.Queries, 1);
    var seed = CommandLineOptions.Int("--seed", "the seed of the bottleneck pattern", d.Seed);
    var data = Data(required: false, d.Data);
    var quota = CommandLineOptions.Double("--quota", "cores per emulated node", d.Quota);
    var bottlenecks = CommandLineOptions.Int("--bottlenecks", "nodes that get a fluctuating bottleneck", d.Bottlenecks, 0);
    var parallelism = CommandLineOptions.Int("--parallelism", "subtasks per operator of each query", d.Parallelism, 1);
    var pages = Pages();
    var visits = Visits();
    var command = new Command("experiment", "runs the experiment on a standalone cluster of 4 emulated nodes and writes the results to benchmarks/results")
    {
        queries, seed, data, quota, bottlenecks, parallelism, pages, visits,
    };
    command.SetAction((r, _) => Experiment.RunAsync(new ExperimentOptions
    {
        Queries = r.GetValue(queries), Seed = r.GetValue(seed), Data = r.GetValue(data)!, Quota = r.GetValue(quota), Bottlenecks = r.GetValue(bottlenecks),
        Parallelism = r.GetValue(parallelism), Pages = r.GetValue(pages), Visits = r.GetValue(visits),
    }));
    return command;
}

static async Task<int> Query(string query, string dir, int? parallelism, string? placement, string? predictor, string? statsPath)
{
    var env = DataflowEnvironment.Create(parallelism).UsePlacement(placement, predictor);
    using var stats = statsPath is { } path ? new Dataflow.JsonStatisticsWriter(path) : null;
    if (stats is not null) env.AddObserver(stats);
    string rankings = Path.Combine(dir, "rankings.csv"), visits = Path.Combine(dir, "uservisits.csv");
    string result = query switch
    {
        "scan" => (await Queries.ScanAsync(env, rankings, 300)).ToString(CultureInfo.InvariantCulture),
        "aggregate" => (await Queries.AggregateAsync(env, visits)).ToString(),
        "join" => (await Queries.JoinAsync(env, rankings, visits, 1000, 1400)).ToString(),
        "iterate" => (await Queries.IterateAsync(env, rankings, 5)).ToString(CultureInfo.InvariantCulture),
        var q => throw new ArgumentException($"unknown query '{q}'"),
    };
    Console.WriteLine(result);
    return 0;
}

/// <summary>The experiment's settings (<c>Bottleneck experiment</c>'s options).</summary>
internal sealed class ExperimentOptions
{
    public int Queries { get; init; } = 16;

    public int Seed { get; init; } = 7;

    public string Data { get; init; } = Path.Combine(Path.GetTempPath(), "dataflow-bottleneck");

    public double Quota { get; init; } = 0.5;

    public int Bottlenecks { get; init; } = 1;

    public int Parallelism { get; init; } = 6;

    public int Pages { get; init; } = 1_000_000;

    public int Visits { get; init; } = 3_000_000;
}
