using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dataflow.Benchmarks.Harness;

// The end-to-end benchmark harness. `Harness` prepares the data, then runs every workload as the
// engine's job at parallelism 1 and 2 and as the hand-written baseline, alternating, each run in
// its own process (so peak memory is per run), and writes benchmarks/results/<date>.json and a table.
var argv = args;
if (argv.Length > 0 && argv[0] == "measure")
{
    var m = Options.Parse(argv[1..]);
    var result = Measure.Run(m.Get("workload"), m.Get("mode"), m);
    Console.WriteLine("RESULT " + JsonSerializer.Serialize(result, Json.Options));
    return 0;
}
if (argv.Length > 0 && argv[0] == "cluster")
{
    var co = Options.Parse(argv[1..]);
    Data.Prepare(co);
    return ClusterBench.Run(co);
}
var o = Options.Parse(argv);
int reps = o.GetInt("reps", 3);
var workloads = o.Get("workloads", "pagerank,kmeans,components,wordcount").Split(',');
var modes = o.Get("modes", "baseline,engine-p1,engine-p2").Split(',');
Data.Prepare(o);
var results = new List<MeasureResult>();
for (int rep = 0; rep < reps; rep++)
{
    foreach (var w in workloads)
    {
        // Rotate the order each repetition so no mode always runs first (A/B/C, B/C/A, ...).
        for (int i = 0; i < modes.Length; i++)
        {
            var mode = modes[(i + rep) % modes.Length];
            var r = RunChild(w, mode, argv);
            results.Add(r);
            Console.Error.WriteLine($"rep {rep + 1}/{reps} {w,-10} {mode,-9} total {r.TotalMs,9:F0} ms  superstep {Median(r.SuperstepMs),8:F1} ms  peak {r.PeakBytes / 1e6,7:F0} MB");
        }
    }
}
var report = Report.Build(results, o);
var outDir = o.Get("out", Path.Combine(Data.RepoRoot(), "benchmarks", "results"));
Directory.CreateDirectory(outDir);
var file = Path.Combine(outDir, $"{DateTime.UtcNow:yyyy-MM-dd}.json");
File.WriteAllText(file, JsonSerializer.Serialize(report, new JsonSerializerOptions(Json.Options) { WriteIndented = true }));
Console.WriteLine(Report.Markdown(report));
Console.WriteLine($"results: {file}");
return 0;

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

/// <summary><c>--name value</c> options.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _v = new();

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            o._v[args[i][2..]] = args[i + 1];
        }
        return o;
    }

    public string Get(string name, string? fallback = null) =>
        _v.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required.");

    public int GetInt(string name, int fallback) => _v.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}

internal static class Json
{
    public static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
