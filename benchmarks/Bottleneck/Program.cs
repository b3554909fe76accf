using System.Globalization;
using Dataflow;
using Dataflow.Benchmarks.Bottleneck;

// The bottleneck experiment (issue #7, docs/architecture.md §9).
//   Bottleneck generate --data DIR [--pages N] [--visits M]
//   Bottleneck query --query scan|aggregate|join|iterate --data DIR [--parallelism P] [--placement locality|bottleneck-aware] [--predictor arima|slidhmm]
//   Bottleneck experiment [--queries N] [--seed S] [--data DIR] [--quota 0.5] [--bottlenecks 1] [--parallelism 6]
var o = Args.Parse(args.Skip(1).ToArray());
switch (args.FirstOrDefault())
{
    case "generate":
        Queries.Generate(o.Get("data"), o.Int("pages", 1_000_000), o.Int("visits", 3_000_000), o.Int("seed", 42));
        return 0;
    case "query":
        return await Query(o);
    case "experiment":
        return await Experiment.RunAsync(o);
    default:
        Console.Error.WriteLine("usage: Bottleneck generate|query|experiment [options] (see Program.cs)");
        return 2;
}

static async Task<int> Query(Args o)
{
    var env = DataflowEnvironment.Create(o.IntOrNull("parallelism")).UsePlacement(o.GetOrNull("placement"), o.GetOrNull("predictor"));
    using var stats = o.GetOrNull("stats") is { } path ? new Dataflow.JsonStatisticsWriter(path) : null;
    if (stats is not null) env.AddObserver(stats);
    var dir = o.Get("data");
    string rankings = Path.Combine(dir, "rankings.csv"), visits = Path.Combine(dir, "uservisits.csv");
    string result = o.Get("query") switch
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

/// <summary><c>--name value</c> options.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _v = new(StringComparer.Ordinal);

    public static Args Parse(string[] args)
    {
        var a = new Args();
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length) throw new ArgumentException($"expected --name value at '{args[i]}'");
            a._v[args[i][2..]] = args[i + 1];
        }
        return a;
    }

    public string Get(string name) => _v.TryGetValue(name, out var v) ? v : throw new ArgumentException($"missing --{name}");

    public string? GetOrNull(string name) => _v.GetValueOrDefault(name);

    public string Get(string name, string fallback) => _v.GetValueOrDefault(name) ?? fallback;

    public int Int(string name, int fallback) => _v.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public int? IntOrNull(string name) => _v.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : null;

    public double Double(string name, double fallback) => _v.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
