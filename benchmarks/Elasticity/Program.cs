using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Dataflow;
using Dataflow.CommandLine;
using Dataflow.Elasticity.Policies;
using Dataflow.Examples;
using Dataflow.Examples.KMeans;
using Dataflow.Examples.PageRank;
using Dataflow.Runtime.Statistics;

// The elasticity experiment (issue #6): the paper's two results, in kind, on emulated nodes.
// Every subtask slot s is an emulated node: a cgroup (v1 cpu) held to --quota cores (default 0.25),
// into which the thread of subtask s moves when it starts. 8 slots × 0.25 core = the machine's 2 cores.
//   (a) under-provisioned start: elastic (utilization policy) from p=1 vs fixed p=1 -> runtime
//   (b) over-provisioned start: elastic from p=8 vs fixed p=8 -> slot-seconds released, runtime change
//   ElasticityExperiment [--nodes threads|processes] [--quota 0.25] [--slots 8] [--scale 17] [--points 400000] [--iterations 30]
var plotOption = new Option<string>("--plot") { Description = "re-draws the plot of saved results (FILE.json -> FILE.svg) and exits", HelpName = "FILE.json" };
var quotaOption = CommandLineOptions.Double("--quota", "cores per emulated node (one cgroup per subtask slot)", 0.25);
var slotsOption = CommandLineOptions.Int("--slots", "emulated nodes (subtask slots)", 8, 1);
var iterationsOption = CommandLineOptions.Int("--iterations", "supersteps of every job", 30, 1);
var scaleOption = CommandLineOptions.Int("--scale", "the R-MAT scale of the under-provisioned PageRank's graph", 17, 1);
var nodesOption = CommandLineOptions.OneOf(new Option<string>("--nodes") { Description = "threads: slots of one process; processes: worker processes under dataflow run", DefaultValueFactory = _ => "threads" },
    "threads", "processes");
var pointsOption = CommandLineOptions.Int("--points", "points of the under-provisioned k-means", 400_000, 1);
var root = new RootCommand("the elasticity experiment: elastic against fixed parallelism, under- and over-provisioned, on emulated nodes (cgroups)")
{
    plotOption, quotaOption, slotsOption, iterationsOption, scaleOption, nodesOption, pointsOption,
};
var opts = root.Parse(args);
if (opts.Errors.Count > 0) return CommandLineOptions.ReportUsageErrors(opts, Console.Error);
if (opts.Action is not null) return await opts.InvokeAsync(); // --help
if (opts.GetValue(plotOption) is { } saved)
{
    // Re-draw a plot from saved results (FILE.json → FILE.svg).
    var loaded = JsonSerializer.Deserialize<List<Result>>(File.ReadAllText(saved))!;
    File.WriteAllText(Path.ChangeExtension(saved, ".svg"), Plots.Plot(loaded));
    return 0;
}
double quota = opts.GetValue(quotaOption);
int slots = opts.GetValue(slotsOption);
int iterations = opts.GetValue(iterationsOption);
int scale = opts.GetValue(scaleOption);
string data = Path.Combine(Path.GetTempPath(), "dataflow-elasticity");
Directory.CreateDirectory(data);
string bigGraph = Path.Combine(data, $"rmat-{scale}.edges"), smallGraph = Path.Combine(data, "rmat-11.edges");
if (!File.Exists(bigGraph)) RmatGenerator.WriteEdges(bigGraph, scale, 16, seed: 3);
if (!File.Exists(smallGraph)) RmatGenerator.WriteEdges(smallGraph, 11, 16, seed: 3);
bool processes = opts.GetValue(nodesOption) == "processes";
// Between processes a scale-out first acquires a worker (≈1.1–2 s on 0.25 core: it replays the job and rehearses a move), which
// k-means on 400 000 points (≈200 ms supersteps at p=1) hardly wins back in 30 iterations; README also shows --points 1600000.
int pointCount = opts.GetValue(pointsOption);
string bigPoints = Points(data, pointCount), smallPoints = Points(data, 5_000);

if (processes)
{
    return await Processes.RunAsync(slots, quota, iterations, bigGraph, smallGraph, bigPoints, smallPoints, pointCount);
}
using var nodes = new EmulatedNodes(slots, quota);
var scenarios = new List<Scenario>
{
    new("a", "PageRank", $"R-MAT {Path.GetFileName(bigGraph)}", 1, env => PageRank(env, bigGraph, iterations)),
    new("a", "k-means", $"{pointCount:N0} points", 1, env => KMeans(env, bigPoints, iterations)),
    new("b", "PageRank", $"R-MAT {Path.GetFileName(smallGraph)}", slots, env => PageRank(env, smallGraph, iterations)),
    new("b", "k-means", "5,000 points", slots, env => KMeans(env, smallPoints, iterations)),
};
var results = new List<Result>();
// Warm-up: JIT and file cache, not measured.
await Run(nodes, slots, 2, null, env => PageRank(env, smallGraph, 3));
foreach (var s in scenarios)
{
    Result? baseline = null;
    foreach (string mode in s.Id == "a" ? new[] { "fixed", "utilization", "runtime-target" } : new[] { "fixed", "utilization" })
    {
        Dataflow.Runtime.Extensibility.IElasticityPolicy? policy = mode switch
        {
            "utilization" => new UtilizationPolicy(new UtilizationPolicyOptions { TargetCpu = 0.7, MinParallelism = 1, MaxParallelism = slots, SlotCapacity = quota, CooldownSupersteps = 2, ScaleInPatience = 2 }),
            // Half the fixed run's iteration time as the target: "more resources for a shorter time".
            "runtime-target" => new RuntimeTargetPolicy(new RuntimeTargetPolicyOptions
            {
                TargetMs = baseline!.IterationSeconds * 1000 * 0.5, ExpectedSupersteps = iterations, MinParallelism = 1, MaxParallelism = slots,
            }),
            _ => null,
        };
        var r = await Run(nodes, slots, s.Start, policy, s.Job);
        r = r with { Scenario = s.Id, Job = s.Name, Input = s.Input, Elastic = policy is not null, Mode = mode };
        baseline ??= r;
        results.Add(r);
        Console.Error.WriteLine($"({s.Id}) {s.Name,-8} {mode,-14} from p={s.Start}: {r.TotalSeconds:F2} s, {r.SlotSeconds:F2} slot-s, parallelism {string.Join(",", r.Parallelism)}");
    }
}
Report(results, quota, slots);
return 0;

static async Task<Result> Run(EmulatedNodes nodes, int slots, int start, Dataflow.Runtime.Extensibility.IElasticityPolicy? policy, Func<DataflowEnvironment, Task> job)
{
    var recorder = new Recorder();
    var env = DataflowEnvironment.CreateLocal(start);
    env.Options.Slots = slots;
    env.Options.OnSubtaskThreadStart = nodes.Enter;
    env.UseElasticity(policy).AddObserver(recorder);
    var sw = Stopwatch.StartNew();
    await job(env);
    double total = sw.Elapsed.TotalSeconds;
    // The iteration's time includes its moves; during a move both the old and the new slots are held.
    return new Result("", "", "", false, total,
        recorder.Steps.Sum(s => s.Parallelism * s.Seconds) + recorder.Moves.Sum(m => Math.Max(m.From, m.To) * m.Ms / 1000),
        recorder.Steps.Sum(s => s.Seconds) + recorder.RescaleMs.Sum() / 1000,
        recorder.Steps.Select(s => s.Parallelism).ToList(), recorder.Steps.Select(s => s.Seconds * 1000).ToList(), recorder.RescaleMs);
}

static async Task PageRank(DataflowEnvironment env, string edges, int iterations)
{
    var ranks = await PageRankJob.BuildAsync(env, PageRankJob.ReadEdges(env, edges), iterations, 0.85, 0);
    await ranks.CountAsync();
}

static async Task KMeans(DataflowEnvironment env, string points, int iterations)
{
    var initial = KMeansJob.ReadCentroids(points + ".centroids");
    await KMeansJob.Build(KMeansJob.ReadPoints(env, points), env.FromCollection(initial), iterations).CountAsync();
}

static string Points(string dir, int count)
{
    var path = Path.Combine(dir, $"points-{count}.csv");
    if (File.Exists(path) && File.Exists(path + ".centroids")) return path;
    var rng = new Random(11);
    var centers = Enumerable.Range(0, 8).Select(_ => Enumerable.Range(0, 4).Select(_ => rng.NextDouble() * 4).ToArray()).ToArray();
    var lines = new List<string>(count);
    for (int i = 0; i < count; i++)
    {
        var c = centers[rng.Next(centers.Length)];
        lines.Add(string.Join(',', c.Select(x => (x + (rng.NextDouble() - 0.5) * 3).ToString("R", CultureInfo.InvariantCulture))));
    }
    File.WriteAllLines(path, lines);
    File.WriteAllLines(path + ".centroids", lines.Take(8));
    return path;
}

static void Report(List<Result> results, double quota, int slots)
{
    var sb = new StringBuilder();
    sb.AppendLine(CultureInfo.InvariantCulture, $"Elasticity experiment {DateTime.UtcNow:yyyy-MM-dd}: {slots} emulated nodes of {quota} core (one cgroup per subtask slot), utilization policy (target CPU 0.7 ± 0.1, cooldown 2 supersteps, scale in after 2 low readings, range 1..{slots}) and runtime-target policy (target: half the fixed run), {results.Count / 2} scenarios.");
    sb.AppendLine();
    ResultTable.Write(sb, results, slots, "slot-s", "slot-seconds");
    Console.WriteLine(sb.ToString());
    string root = Repo.Root();
    var stem = Path.Combine(root, "benchmarks", "results", $"{DateTime.UtcNow:yyyy-MM-dd}-elasticity");
    Directory.CreateDirectory(Path.GetDirectoryName(stem)!);
    File.WriteAllText(stem + ".md", sb.ToString());
    File.WriteAllText(stem + ".json", JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
    File.WriteAllText(stem + ".svg", Plots.Plot(results));
    Console.WriteLine($"results: {stem}.md / .json / .svg");
}



internal static class Plots
{
    /// <summary>One panel per scenario: superstep time and parallelism over supersteps, fixed vs elastic.</summary>
    public static string Plot(List<Result> results)
    {
        // One panel per scenario: superstep time (lines) and parallelism (steps) over supersteps, fixed vs elastic.
        var groups = results.GroupBy(r => (r.Scenario, r.Job)).ToList();
        const double PW = 420, PH = 200, M = 40;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{2 * (PW + M) + M}\" height=\"{2 * (PH + 2 * M)}\" font-family=\"sans-serif\" font-size=\"11\">");
        for (int gi = 0; gi < groups.Count; gi++)
        {
            double ox = M + gi % 2 * (PW + M), oy = M + gi / 2 * (PH + 2 * M);
            var g = groups[gi];
            int n = g.Max(r => r.SuperstepMs.Count);
            // The first superstep also loads the inputs and can be many times longer: the axis ends at 3× the 90th percentile, longer ones are clipped.
            var all = g.SelectMany(r => r.SuperstepMs).Order().ToList();
            double yMax = Math.Min(all[^1], 3 * all[(int)(0.9 * (all.Count - 1))]) * 1.1, pMax = g.Max(r => r.Parallelism.Max()) + 1;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{ox}\" y=\"{oy - 8}\">({g.Key.Scenario}) {g.Key.Job}: superstep ms (solid), parallelism (dashed)</text>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{ox}\" y=\"{oy}\" width=\"{PW}\" height=\"{PH}\" fill=\"none\" stroke=\"#999\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{ox - 35}\" y=\"{oy + 10}\">{yMax:F0}</text><text x=\"{ox + PW + 3}\" y=\"{oy + 10}\">p={pMax - 1:F0}</text>");
            foreach (var r in g)
            {
                string color = r.Mode switch { "utilization" => "#d62728", "runtime-target" => "#2ca02c", _ => "#1f77b4" };
                string X(int i) => (ox + (n <= 1 ? 0 : i * PW / (n - 1))).ToString("F1", CultureInfo.InvariantCulture);
                var line = string.Join(" ", r.SuperstepMs.Select((v, i) => $"{X(i)},{(oy + PH - Math.Min(v, yMax) / yMax * PH).ToString("F1", CultureInfo.InvariantCulture)}"));
                var par = string.Join(" ", r.Parallelism.Select((v, i) => $"{X(i)},{(oy + PH - v / pMax * PH).ToString("F1", CultureInfo.InvariantCulture)}"));
                sb.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{line}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\"/>");
                sb.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{par}\" fill=\"none\" stroke=\"{color}\" stroke-dasharray=\"4 3\"/>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{ox}\" y=\"{oy + PH + 15}\" fill=\"#1f77b4\">fixed</text><text x=\"{ox + 40}\" y=\"{oy + PH + 15}\" fill=\"#d62728\">utilization</text><text x=\"{ox + 110}\" y=\"{oy + PH + 15}\" fill=\"#2ca02c\">runtime-target</text><text x=\"{ox + PW - 60}\" y=\"{oy + PH + 15}\">superstep →</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }
}

internal static class ResultTable
{
    /// <summary>The results table: per scenario and job, each elastic run against the fixed one.</summary>
    public static void Write(StringBuilder sb, List<Result> results, int slots, string unit, string released, bool processes = false)
    {
        sb.AppendLine($"| scenario | job | input | policy | fixed: runtime s / {unit} | elastic: runtime s / {unit} | runtime change | {released} released | elastic parallelism per superstep | rescale cost ms (max) / median superstep ms |"
            + (processes ? " move / superstep before it (max) | workers joined / released | acquire ms (max) | move rehearsal ms |" : ""));
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|" + (processes ? "---|---|---|---|" : ""));
        foreach (var g in results.GroupBy(r => (r.Scenario, r.Job)))
        {
            var f = g.First(r => !r.Elastic);
            foreach (var e in g.Where(r => r.Elastic))
            {
                string name = g.Key.Scenario == "a" ? "(a) under-provisioned, start p=1" : $"(b) over-provisioned, start p={slots}";
                double step = e.SuperstepMs.Order().ElementAt(e.SuperstepMs.Count / 2);
                sb.Append(CultureInfo.InvariantCulture,
                    $"| {name} | {g.Key.Job} | {e.Input} | {e.Mode} | {f.IterationSeconds:F2} / {f.SlotSeconds:F2} | {e.IterationSeconds:F2} / {e.SlotSeconds:F2} | {(e.IterationSeconds / f.IterationSeconds - 1) * 100:+0;-0}% | {(1 - e.SlotSeconds / f.SlotSeconds) * 100:0}% | {string.Join("→", Compress(e.Parallelism))} | {(e.RescaleMs.Count > 0 ? e.RescaleMs.Max() : 0):F1} / {step:F1} |");
                if (processes)
                {
                    sb.Append(CultureInfo.InvariantCulture,
                        $" {(e.MoveRatios.Count > 0 ? e.MoveRatios.Max() : 0):F2} | {e.Joined} / {e.Released} | {(e.AcquireMs.Count > 0 ? e.AcquireMs.Max() : 0):F0} | {e.RehearsalMs:F0} |");
                }
                sb.AppendLine();
            }
        }
    }

    public static IEnumerable<string> Compress(List<int> ps)
    {
        for (int i = 0; i < ps.Count; i++)
        {
            if (i == 0 || ps[i] != ps[i - 1]) yield return ps[i].ToString(CultureInfo.InvariantCulture);
        }
    }
}

internal sealed record Scenario(string Id, string Name, string Input, int Start, Func<DataflowEnvironment, Task> Job);

internal sealed record Result(string Scenario, string Job, string Input, bool Elastic, double TotalSeconds, double SlotSeconds, double IterationSeconds,
    List<int> Parallelism, List<double> SuperstepMs, List<double> RescaleMs)
{
    public string Mode { get; init; } = "fixed";

    /// <summary>Time each rescale spent acquiring worker processes (start and catch-up), ms.</summary>
    public List<double> AcquireMs { get; init; } = new();

    /// <summary>Each rescale's move time over the superstep before it.</summary>
    public List<double> MoveRatios { get; init; } = new();

    /// <summary>Worker processes that joined / were released over the run.</summary>
    public int Joined { get; init; }

    public int Released { get; init; }

    /// <summary>The longest move rehearsal of a worker after the first superstep (elastic runs on worker processes), ms.</summary>
    public double RehearsalMs { get; init; }
}

internal sealed class Recorder : IDataflowObserver
{
    public List<(int Parallelism, double Seconds)> Steps { get; } = new();

    public List<double> RescaleMs { get; } = new();

    public void OnSuperstep(SuperstepStatistics s) => Steps.Add((s.Parallelism, s.Duration.TotalSeconds));

    public List<(int From, int To, double Ms)> Moves { get; } = new();

    public void OnRescale(RescaleEvent r)
    {
        RescaleMs.Add(r.Duration.TotalMilliseconds);
        Moves.Add((r.From, r.To, r.Duration.TotalMilliseconds));
    }
}

/// <summary>One cgroup (v1 cpu controller) per slot, each held to a CPU quota; a thread joins slot s's by writing its thread id.</summary>
internal sealed partial class EmulatedNodes : IDisposable
{
    private readonly string _root = $"/sys/fs/cgroup/cpu/dataflow-el-{Environment.ProcessId}";
    private readonly int _slots;

    public EmulatedNodes(int slots, double quota)
    {
        _slots = slots;
        for (int s = 0; s < slots; s++)
        {
            Directory.CreateDirectory($"{_root}/slot-{s}");
            // A 10 ms period (not the default 100 ms): short supersteps are then not quantized by throttling.
            File.WriteAllText($"{_root}/slot-{s}/cpu.cfs_period_us", "10000");
            File.WriteAllText($"{_root}/slot-{s}/cpu.cfs_quota_us", ((int)(quota * 10_000)).ToString(CultureInfo.InvariantCulture));
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number);

    /// <summary>Moves the calling thread into the cgroup of slot <paramref name="subtask"/> mod slots.</summary>
    public void Enter(int subtask) =>
        File.WriteAllText($"{_root}/slot-{subtask % _slots}/tasks", Syscall(186 /* SYS_gettid, x86-64 */).ToString(CultureInfo.InvariantCulture));

    public void Dispose()
    {
        // Threads that ended left their cgroups; move any live one (this thread, pool threads) back to the root, then remove.
        for (int s = 0; s < _slots; s++)
        {
            foreach (var tid in File.ReadAllLines($"{_root}/slot-{s}/tasks"))
            {
                try
                {
                    File.WriteAllText("/sys/fs/cgroup/cpu/tasks", tid);
                }
                catch (IOException)
                {
                }
            }
            try
            {
                Directory.Delete($"{_root}/slot-{s}");
            }
            catch (IOException)
            {
            }
        }
        try
        {
            Directory.Delete(_root);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The same experiment with worker processes as the emulated nodes (the issue's set-up): <c>dataflow
/// run --workers 8 --slots 1</c>, each worker started through a wrapper that puts it into its own
/// cgroup held to the quota; the examples run with <c>--elasticity</c> and report through <c>--stats</c>.
/// </summary>
internal static class Processes
{
    public static async Task<int> RunAsync(int workers, double quota, int iterations, string bigGraph, string smallGraph, string bigPoints, string smallPoints, int pointCount)
    {
        string root = Repo.Root();
        string launcher = Path.Combine(root, "Engine", "Launcher", "bin", "Release", "net10.0", "dataflow.dll");
        string group = $"dataflow-elp-{Environment.ProcessId}";
        var work = Directory.CreateTempSubdirectory("dataflow-elasticity-").FullName;
        string script = Path.Combine(work, "cgexec.sh");
        File.WriteAllText(script, $"#!/bin/sh\nnode=$1; shift\necho $$ > /sys/fs/cgroup/cpu/{group}/node$node/cgroup.procs\nexec \"$@\"\n");
        for (int n = 1; n <= workers; n++)
        {
            Directory.CreateDirectory($"/sys/fs/cgroup/cpu/{group}/node{n}");
            File.WriteAllText($"/sys/fs/cgroup/cpu/{group}/node{n}/cpu.cfs_period_us", "10000");
            File.WriteAllText($"/sys/fs/cgroup/cpu/{group}/node{n}/cpu.cfs_quota_us", ((int)(quota * 10_000)).ToString(CultureInfo.InvariantCulture));
        }
        try
        {
            string pr = Path.Combine(root, "examples", "PageRank", "bin", "Release", "net10.0", "PageRank.dll");
            string km = Path.Combine(root, "examples", "KMeans", "bin", "Release", "net10.0", "KMeans.dll");
            string it = iterations.ToString(CultureInfo.InvariantCulture);
            var scenarios = new (string Id, string Job, string Input, int Start, string Program, string[] Args)[]
            {
                ("a", "PageRank", $"R-MAT {Path.GetFileName(bigGraph)}", 1, pr, ["--edges", bigGraph, "--iterations", it]),
                ("a", "k-means", $"{pointCount:N0} points", 1, km, ["--points", bigPoints, "--centroids", bigPoints + ".centroids", "--iterations", it]),
                ("b", "PageRank", $"R-MAT {Path.GetFileName(smallGraph)}", workers, pr, ["--edges", smallGraph, "--iterations", it]),
                ("b", "k-means", "5,000 points", workers, km, ["--points", smallPoints, "--centroids", smallPoints + ".centroids", "--iterations", it]),
            };
            var results = new List<Result>();
            string w = workers.ToString(CultureInfo.InvariantCulture);
            foreach (var sc in scenarios)
            {
                Result? fixedRun = null;
                foreach (string mode in sc.Id == "a" ? new[] { "fixed", "utilization", "runtime-target" } : new[] { "fixed", "utilization" })
                {
                    var policy = mode switch
                    {
                        // Between processes a scale-out costs a move and an acquisition (≥ tens of ms): not worth it for supersteps under 100 ms.
                        "utilization" => new[] { "--elasticity", "utilization", "--target-cpu", "0.7", "--cooldown", "2", "--scale-in-patience", "2", "--scale-out-min-superstep-ms", "100", "--slot-capacity", quota.ToString(CultureInfo.InvariantCulture), "--min-parallelism", "1", "--max-parallelism", w },
                        "runtime-target" => new[] { "--elasticity", "runtime-target", "--target-ms", (fixedRun!.IterationSeconds * 500).ToString("F0", CultureInfo.InvariantCulture), "--supersteps", it, "--min-parallelism", "1", "--max-parallelism", w },
                        _ => Array.Empty<string>(),
                    };
                    string stats = Path.Combine(work, $"stats-{sc.Id}-{sc.Job}-{mode}.jsonl");
                    // All worker processes start (the cluster); the job starts on the workers its first parallelism needs and an
                    // elastic one takes more of them when it scales out and gives back those a scale-in leaves idle.
                    var args = new List<string> { launcher, "run", "--workers", w, "--initial-workers", sc.Start.ToString(CultureInfo.InvariantCulture),
                        "--max-workers", w, "--slots", "1", "--worker-wrapper", $"sh {script} {{n}}", "--", sc.Program };
                    args.AddRange(sc.Args);
                    args.AddRange(["--parallelism", sc.Start.ToString(CultureInfo.InvariantCulture), "--stats", stats]);
                    args.AddRange(policy);
                    var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var a in args) psi.ArgumentList.Add(a);
                    var sw = Stopwatch.StartNew();
                    using (var p = Process.Start(psi)!)
                    {
                        var err = p.StandardError.ReadToEndAsync();
                        _ = p.StandardOutput.ReadToEndAsync();
                        await p.WaitForExitAsync();
                        if (p.ExitCode != 0) throw new InvalidOperationException($"{sc.Job} {mode} failed: {await err}");
                    }
                    var r = FromStats(stats, sw.Elapsed.TotalSeconds) with { Scenario = sc.Id, Job = sc.Job, Input = sc.Input, Elastic = mode != "fixed", Mode = mode };
                    fixedRun ??= r;
                    results.Add(r);
                    Console.Error.WriteLine($"({sc.Id}) {sc.Job,-8} {mode,-14} from p={sc.Start}: {r.IterationSeconds:F2} s, {r.SlotSeconds:F2} worker-s, parallelism {string.Join(",", r.Parallelism)}");
                }
            }
            ReportProcesses(results, quota, workers, root);
            return 0;
        }
        finally
        {
            for (int n = 1; n <= workers; n++)
            {
                try
                {
                    Directory.Delete($"/sys/fs/cgroup/cpu/{group}/node{n}");
                }
                catch (IOException)
                {
                }
            }
            try
            {
                Directory.Delete($"/sys/fs/cgroup/cpu/{group}");
            }
            catch (IOException)
            {
            }
            Directory.Delete(work, recursive: true);
        }
    }

    private static Result FromStats(string path, double totalSeconds)
    {
        var ps = new List<int>();
        var ms = new List<double>();
        var rescales = new List<double>();
        var acquire = new List<double>();
        var ratios = new List<double>();
        int joined = 0, released = 0;
        double waitMs = 0, waitWorkerMs = 0, rehearsalMs = 0;
        foreach (var line in File.ReadLines(path))
        {
            var e = JsonDocument.Parse(line).RootElement;
            switch (e.GetProperty("event").GetString())
            {
                case "superstep":
                    ps.Add(e.GetProperty("parallelism").GetInt32());
                    ms.Add(e.GetProperty("duration_ms").GetDouble());
                    // Workers of an elastic job rehearse a move after the first superstep (the iteration waits for the slowest).
                    var rehearsals = e.GetProperty("workers").EnumerateArray()
                        .Select(w => w.TryGetProperty("move_rehearsal_ms", out var rm) ? rm.GetDouble() : 0).ToList();
                    if (rehearsals.Count > 0 && rehearsals.Max() > 0)
                    {
                        waitMs += rehearsals.Max();
                        waitWorkerMs += ps[^1] * rehearsals.Max();
                        rehearsalMs = Math.Max(rehearsalMs, rehearsals.Max());
                    }
                    break;
                case "rescale":
                    double move = e.GetProperty("duration_ms").GetDouble();
                    rescales.Add(move);
                    // The iteration waits for the move and for any workers it acquires; meanwhile it holds the old workers (and, during the move, the new ones).
                    double acquiring = e.TryGetProperty("acquire_ms", out var am) ? am.GetDouble() : 0;
                    int from = e.GetProperty("from").GetInt32(), to = e.GetProperty("to").GetInt32();
                    waitMs += move + acquiring;
                    waitWorkerMs += Math.Max(from, to) * move + from * acquiring;
                    if (ms.Count > 0) ratios.Add(move / ms[^1]);
                    if (e.TryGetProperty("acquire_ms", out var a) && e.GetProperty("joined").GetArrayLength() > 0) acquire.Add(a.GetDouble());
                    if (e.TryGetProperty("joined", out var j)) joined += j.GetArrayLength();
                    if (e.TryGetProperty("released", out var r)) released += r.GetArrayLength();
                    break;
            }
        }
        return new Result("", "", "", false, totalSeconds, ps.Zip(ms).Sum(x => x.First * x.Second / 1000) + waitWorkerMs / 1000, (ms.Sum() + waitMs) / 1000, ps, ms, rescales)
        {
            AcquireMs = acquire, MoveRatios = ratios, Joined = joined, Released = released, RehearsalMs = rehearsalMs,
        };
    }

    private static void ReportProcesses(List<Result> results, double quota, int workers, string root)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Elasticity experiment {DateTime.UtcNow:yyyy-MM-dd} on worker processes: `dataflow run --workers {workers} --initial-workers <start p> --slots 1` (the job starts on as many workers as its first parallelism needs; a scale-out takes standby workers, which followed the job as it ran (replaying it, running nothing), and a scale-in releases workers to the pool, where they follow the job again), each worker in its own cgroup held to {quota} core; runtime = the iteration's supersteps plus its moves, worker acquisitions and the workers' move rehearsal after the first superstep; worker-seconds = Σ parallelism × superstep time (= the workers held during the superstep) plus the workers held while moving and acquiring.");
        sb.AppendLine();
        ResultTable.Write(sb, results, workers, "worker-s", "worker-seconds", processes: true);
        Console.WriteLine(sb.ToString());
        var stem = Path.Combine(root, "benchmarks", "results", $"{DateTime.UtcNow:yyyy-MM-dd}-elasticity-processes");
        File.WriteAllText(stem + ".md", sb.ToString());
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(stem + ".svg", Plots.Plot(results));
        Console.WriteLine($"results: {stem}.md / .json / .svg");
    }
}

internal static class Repo
{
    /// <summary>The repository root (the folder with Dataflow.sln above this program).</summary>
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dataflow.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Dataflow.sln not found");
    }
}
