using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dataflow.Benchmarks.Harness;
using Dataflow.CommandLine;

// The end-to-end benchmark harness. `Harness` prepares the data, then runs every workload as the
// engine's job at parallelism 1 and 2 and as the hand-written baseline, alternating, each run in
// its own process (so peak memory is per run), and writes benchmarks/results/<date>.json and a table.
var argv = args;
// The options of a whole run; recursive, so that measure (a child run, given the parent's arguments) and cluster take them too.
var defaults = new Options();
var data = new Option<string>("--data") { Description = "the folder of the generated inputs", DefaultValueFactory = _ => defaults.Data, HelpName = "DIR", Recursive = true };
var scale = Recursive(CommandLineOptions.Int("--scale", "the R-MAT scale of the graph (PageRank, components)", defaults.Scale, 1));
var points = Recursive(CommandLineOptions.Int("--points", "k-means points (8 dimensions)", defaults.Points, 1));
var textMb = Recursive(CommandLineOptions.Int("--text-mb", "MB of text (WordCount)", defaults.TextMb, 1));
var reps = Recursive(CommandLineOptions.Int("--reps", "repetitions of every measurement", defaults.Reps, 1));
var workloads = Recursive(new Option<string>("--workloads") { Description = "the workloads to run, comma-separated", DefaultValueFactory = _ => string.Join(',', defaults.Workloads) });
var modes = Recursive(new Option<string>("--modes") { Description = "the modes to run, comma-separated (baseline, engine-p1, engine-p2)", DefaultValueFactory = _ => string.Join(',', defaults.Modes) });
var outDir = Recursive(new Option<string>("--out") { Description = "where the results go (default: benchmarks/results)", HelpName = "DIR" });
var workload = CommandLineOptions.OneOf(new Option<string>("--workload") { Description = "the workload", Required = true }, "pagerank", "pagerank-cogroup", "pagerank-delta", "kmeans", "components", "wordcount");
var mode = CommandLineOptions.OneOf(new Option<string>("--mode") { Description = "the mode", Required = true }, "baseline", "engine-p1", "engine-p2");
var megabytes = CommandLineOptions.Int("--megabytes", "MB of records to shuffle between the workers", (int)defaults.Megabytes, 1);
var pagerank = CommandLineOptions.OneOf(new Option<string>("--pagerank") { Description = "also PageRank on 2 worker processes against embedded", DefaultValueFactory = _ => "yes" }, "yes", "no");
var iterations = CommandLineOptions.Int("--iterations", "PageRank supersteps", defaults.Iterations, 1);
var measure = new Command("measure", "one measurement in this process (the harness runs each in a child process): prints RESULT {json}") { workload, mode };
var cluster = new Command("cluster", "the cluster benchmark: a shuffle between 2 worker processes against a raw socket, and PageRank on 2 workers against embedded")
{
    megabytes, pagerank, iterations,
};
var superstepsOption = CommandLineOptions.Int("--supersteps", "supersteps of the fixed-cost iteration", 300, 20);
var fixedCost = new Command("fixed-cost", "the fixed cost of a warm superstep: a bulk iteration over 1 000 records at parallelism 1 and 2, embedded")
{
    superstepsOption,
};
var root = new RootCommand("the end-to-end benchmark harness: every workload as the engine's job at parallelism 1 and 2 and as a hand-written baseline, each run in its own process; writes benchmarks/results/DATE.json and a table")
{
    data, scale, points, textMb, reps, workloads, modes, outDir, measure, cluster, fixedCost,
};
fixedCost.SetAction(r => FixedCost.Run(r.GetValue(superstepsOption), r.GetValue(reps)));
measure.SetAction(r =>
{
    var result = Measure.Run(r.GetValue(workload)!, r.GetValue(mode)!, Bind(r));
    Console.WriteLine("RESULT " + JsonSerializer.Serialize(result, Json.Options));
    return 0;
});
cluster.SetAction(r =>
{
    var o = Bind(r);
    Data.Prepare(o);
    return ClusterBench.Run(o);
});
root.SetAction(r => RunAll(Bind(r), argv));
var parsed = root.Parse(argv);
if (parsed.Errors.Count > 0) return CommandLineOptions.ReportUsageErrors(parsed, Console.Error);
return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });

Options Bind(ParseResult r) => new()
{
    Data = r.GetValue(data)!, Scale = r.GetValue(scale), Points = r.GetValue(points), TextMb = r.GetValue(textMb), Reps = r.GetValue(reps),
    Workloads = r.GetValue(workloads)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    Modes = r.GetValue(modes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
    Out = r.GetValue(outDir), Megabytes = r.GetValue(megabytes), PageRank = r.GetValue(pagerank) == "yes", Iterations = r.GetValue(iterations),
};

static int RunAll(Options o, string[] argv)
{
    Data.Prepare(o);
    var results = new List<MeasureResult>();
    for (int rep = 0; rep < o.Reps; rep++)
    {
        foreach (var w in o.Workloads)
        {
            // Rotate the order each repetition so no mode always runs first (A/B/C, B/C/A, ...).
            for (int i = 0; i < o.Modes.Length; i++)
            {
                var m = o.Modes[(i + rep) % o.Modes.Length];
                var r = RunChild(w, m, argv);
                results.Add(r);
                Console.Error.WriteLine($"rep {rep + 1}/{o.Reps} {w,-16} {m,-9} total {r.TotalMs,9:F0} ms  superstep {Median(r.SuperstepMs),8:F1} ms  peak {r.PeakBytes / 1e6,7:F0} MB");
            }
        }
    }
    var report = Report.Build(results, o);
    var resultsDir = o.Out ?? Path.Combine(Data.RepoRoot(), "benchmarks", "results");
    Directory.CreateDirectory(resultsDir);
    var file = Path.Combine(resultsDir, $"{DateTime.UtcNow:yyyy-MM-dd}.json");
    File.WriteAllText(file, JsonSerializer.Serialize(report, new JsonSerializerOptions(Json.Options) { WriteIndented = true }));
    Console.WriteLine(Report.Markdown(report));
    Console.WriteLine($"results: {file}");
    return 0;
}

static T Recursive<T>(T option) where T : Option
{
    option.Recursive = true;
    return option;
}

static MeasureResult RunChild(string workload, string mode, string[] parentArgs)
{
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = false };
    var self = typeof(Measure).Assembly.Location;
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(self);
    psi.ArgumentList.Add("measure");
    foreach (var a in parentArgs) psi.ArgumentList.Add(a);
    psi.ArgumentList.Add("--workload");
    psi.ArgumentList.Add(workload);
    psi.ArgumentList.Add("--mode");
    psi.ArgumentList.Add(mode);
    using var p = Process.Start(psi)!;
    string? line, result = null;
    while ((line = p.StandardOutput.ReadLine()) is not null)
    {
        if (line.StartsWith("RESULT ", StringComparison.Ordinal)) result = line[7..];
    }
    p.WaitForExit();
    if (p.ExitCode != 0 || result is null) throw new InvalidOperationException($"{workload}/{mode} failed with exit code {p.ExitCode}");
    return JsonSerializer.Deserialize<MeasureResult>(result, Json.Options)!;
}

static double Median(IReadOnlyList<double> xs) => xs.Count == 0 ? double.NaN : Stats.Median(xs);

/// <summary>The harness's settings, bound from its command line (the defaults here are the options' defaults).</summary>
internal sealed class Options
{
    public string Data { get; init; } = Path.Combine(Path.GetTempPath(), "dataflow-bench");

    public int Scale { get; init; } = 20;

    public int Points { get; init; } = 1_000_000;

    public int TextMb { get; init; } = 200;

    public int Reps { get; init; } = 3;

    public string[] Workloads { get; init; } = ["pagerank", "pagerank-cogroup", "pagerank-delta", "kmeans", "components", "wordcount"];

    public string[] Modes { get; init; } = ["baseline", "engine-p1", "engine-p2"];

    /// <summary>Where results go; null for benchmarks/results.</summary>
    public string? Out { get; init; }

    public long Megabytes { get; init; } = 1024;

    public bool PageRank { get; init; } = true;

    public int Iterations { get; init; } = 10;
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
