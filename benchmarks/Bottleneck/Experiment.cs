using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Dataflow.Benchmarks.Bottleneck;

/// <summary>
/// The bottleneck experiment: a standalone cluster of 4 emulated nodes (worker processes, each in its
/// own cgroup with a CPU quota), one or two of which get a fluctuating bottleneck (competing CPU-bound
/// processes in their cgroup, switched on and off on a seeded random pattern); a stream of BDB-style
/// queries and an iterative job runs under locality-only and bottleneck-aware placement (ARIMA and
/// sliding HMM), interleaved so each faces the same conditions. Reports median and 75th percentile
/// completion time and the predictors' hit rate on the recorded heartbeat trace.
/// </summary>
internal static class Experiment
{
    private static readonly string[] s_policies = ["locality", "bottleneck-aware/arima", "bottleneck-aware/slidhmm"];
    private static readonly string[] s_queries = ["scan", "aggregate", "join", "iterate"];

    private sealed record Run(int Index, string Policy, string Query, double Seconds, bool BottleneckOn, double StartSeconds, List<string> Placements);

    public static async Task<int> RunAsync(ExperimentOptions o)
    {
        string root = RepoRoot();
        string launcher = Path.Combine(root, "Engine", "Launcher", "bin", "Release", "net10.0", "dataflow.dll");
        string self = typeof(Experiment).Assembly.Location;
        string data = o.Data;
        int queries = o.Queries;
        int seed = o.Seed;
        double quota = o.Quota;
        int bottlenecks = o.Bottlenecks;
        int parallelism = o.Parallelism;
        if (!File.Exists(Path.Combine(data, "uservisits.csv")))
        {
            Console.Error.WriteLine($"generating tables in {data}");
            Queries.Generate(data, o.Pages, o.Visits, 42);
        }
        var work = Directory.CreateTempSubdirectory("dataflow-bottleneck-run-").FullName;
        string secret = Path.Combine(work, "secret");
        File.WriteAllText(secret, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        string trace = Path.Combine(work, "trace.csv");
        string group = $"dataflow-bn-{Environment.ProcessId}";
        var processes = new List<Process>();
        var hogs = new Dictionary<int, List<Process>>();
        using var stopInjection = new CancellationTokenSource();
        Task? injection = null;
        var timeline = new List<(int Worker, double From, double To)>();
        var clock = Stopwatch.StartNew();
        try
        {
            // Emulated nodes: one cgroup per worker (cpu for the quota, cpuacct for the node's utilization).
            for (int w = 1; w <= 4; w++)
            {
                foreach (var controller in new[] { "cpu", "cpuacct" }) Directory.CreateDirectory($"/sys/fs/cgroup/{controller}/{group}/w{w}");
                File.WriteAllText($"/sys/fs/cgroup/cpu/{group}/w{w}/cpu.cfs_quota_us", ((int)(quota * 100_000)).ToString(CultureInfo.InvariantCulture));
                hogs[w] = new();
            }
            string wrapper = Path.Combine(work, "cgexec.sh");
            File.WriteAllText(wrapper, $"#!/bin/sh\n# cgexec.sh NODE command...: runs the command in the emulated node's cgroup\nnode=$1; shift\necho $$ > /sys/fs/cgroup/cpu/{group}/$node/cgroup.procs\necho $$ > /sys/fs/cgroup/cpuacct/{group}/$node/cgroup.procs\nexec \"$@\"\n");
            int port = FreePort();
            string coordinator = $"127.0.0.1:{port}";
            processes.Add(Start("dotnet", launcher, "coordinator", "--listen", coordinator, "--secret-file", secret, "--trace", trace));
            await Task.Delay(1500);
            for (int w = 1; w <= 4; w++)
            {
                processes.Add(Start("sh", wrapper, $"w{w}", "dotnet", launcher, "worker", "--coordinator", coordinator, "--slots", "2",
                    "--secret-file", secret, "--work-dir", Path.Combine(work, $"worker-{w}"), "--monitor-ms", "500"));
            }
            await WaitForWorkersAsync(launcher, coordinator, secret, 4);
            var rng = new Random(seed);
            injection = Task.Run(() => Inject(group, bottlenecks, rng, hogs, timeline, clock, stopInjection.Token));
            Console.Error.WriteLine("warming up (history for the predictors; files shipped and cached) ...");
            foreach (var q in s_queries) await SubmitAsync(launcher, coordinator, secret, self, data, q, "locality", parallelism, null);
            await Task.Delay(TimeSpan.FromSeconds(8));
            var runs = new List<Run>();
            for (int i = 0; i < queries; i++)
            {
                string query = s_queries[i % s_queries.Length];
                for (int k = 0; k < s_policies.Length; k++)
                {
                    string policy = s_policies[(i + k) % s_policies.Length];
                    double start = clock.Elapsed.TotalSeconds;
                    bool on;
                    lock (timeline) on = timeline.Any(t => t.To < 0 || (t.From <= start && start < t.To));
                    string stats = Path.Combine(work, $"stats-{i}-{k}.jsonl");
                    double seconds = await SubmitAsync(launcher, coordinator, secret, self, data, query, policy, parallelism, stats);
                    var placements = File.Exists(stats) ? File.ReadLines(stats).Where(l => l.Contains("\"placement\"", StringComparison.Ordinal)).ToList() : [];
                    runs.Add(new Run(i, policy, query, seconds, on, start, placements));
                    Console.Error.WriteLine($"query {i + 1}/{queries} {query,-9} {policy,-24} {seconds,6:F2} s{(on ? "  (bottleneck on)" : "")}");
                }
            }
            stopInjection.Cancel();
            await injection;
            // The coordinator ends on SIGINT and closes its trace file; the workers then follow.
            Capture("kill", "-INT", processes[0].Id.ToString(CultureInfo.InvariantCulture));
            processes[0].WaitForExit(10_000);
            foreach (var p in processes) Stop(p);
            await Task.Delay(500);
            var evals = new Dictionary<string, string>();
            foreach (var model in new[] { "arima", "slidhmm", "last" })
            {
                evals[model] = Capture("dotnet", launcher, "predict-eval", "--trace", trace, "--model", model, "--metrics", "node_cpu", "--horizon", "2");
            }
            Report(runs, evals, timeline, quota, bottlenecks, parallelism, queries, seed, root);
            return 0;
        }
        finally
        {
            stopInjection.Cancel();
            if (injection is not null)
            {
                try
                {
                    await injection;
                }
                catch (OperationCanceledException)
                {
                }
            }
            foreach (var list in hogs.Values) foreach (var h in list) Stop(h);
            foreach (var p in processes) Stop(p);
            await Task.Delay(300);
            for (int w = 1; w <= 4; w++)
            {
                foreach (var controller in new[] { "cpu", "cpuacct" })
                {
                    try
                    {
                        Directory.Delete($"/sys/fs/cgroup/{controller}/{group}/w{w}");
                    }
                    catch (IOException)
                    {
                    }
                }
            }
            foreach (var controller in new[] { "cpu", "cpuacct" })
            {
                try
                {
                    Directory.Delete($"/sys/fs/cgroup/{controller}/{group}");
                }
                catch (IOException)
                {
                }
            }
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Switches competing CPU-bound processes on and off in the bottleneck nodes' cgroups: on for 4–10 s, off for 4–10 s.</summary>
    private static async Task Inject(string group, int bottlenecks, Random rng, Dictionary<int, List<Process>> hogs,
        List<(int Worker, double From, double To)> timeline, Stopwatch clock, CancellationToken token)
    {
        var next = new double[bottlenecks + 1];
        var on = new bool[bottlenecks + 1];
        var since = new double[bottlenecks + 1];
        for (int b = 1; b <= bottlenecks; b++) next[b] = rng.Next(1, 5);
        while (!token.IsCancellationRequested)
        {
            double now = clock.Elapsed.TotalSeconds;
            for (int b = 1; b <= bottlenecks; b++)
            {
                if (now < next[b]) continue;
                if (!on[b])
                {
                    for (int i = 0; i < 3; i++)
                    {
                        var hog = Start("sh", "-c", "while :; do :; done");
                        File.WriteAllText($"/sys/fs/cgroup/cpu/{group}/w{b}/cgroup.procs", hog.Id.ToString(CultureInfo.InvariantCulture));
                        File.WriteAllText($"/sys/fs/cgroup/cpuacct/{group}/w{b}/cgroup.procs", hog.Id.ToString(CultureInfo.InvariantCulture));
                        hogs[b].Add(hog);
                    }
                    since[b] = now;
                    lock (timeline) timeline.Add((b, now, -1));
                }
                else
                {
                    foreach (var h in hogs[b]) Stop(h);
                    hogs[b].Clear();
                    lock (timeline)
                    {
                        int i = timeline.FindLastIndex(t => t.Worker == b && t.To < 0);
                        if (i >= 0) timeline[i] = (b, since[b], now);
                    }
                }
                on[b] = !on[b];
                next[b] = now + 4 + rng.NextDouble() * 6;
            }
            try
            {
                await Task.Delay(100, token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        double end = clock.Elapsed.TotalSeconds;
        lock (timeline)
        {
            for (int i = 0; i < timeline.Count; i++)
            {
                if (timeline[i].To < 0) timeline[i] = (timeline[i].Worker, timeline[i].From, end);
            }
        }
        foreach (var list in hogs.Values)
        {
            foreach (var h in list) Stop(h);
            list.Clear();
        }
    }

    private static async Task<double> SubmitAsync(string launcher, string coordinator, string secret, string self, string data, string query, string policy, int parallelism, string? stats)
    {
        var args = new List<string> { launcher, "submit", "--coordinator", coordinator, "--secret-file", secret, "--workers", "4", "--", self, "query",
            "--query", query, "--data", data, "--parallelism", parallelism.ToString(CultureInfo.InvariantCulture) };
        var parts = policy.Split('/');
        args.AddRange(["--placement", parts[0]]);
        if (parts.Length > 1) args.AddRange(["--predictor", parts[1]]);
        if (stats is not null) args.AddRange(["--stats", stats]);
        var sw = Stopwatch.StartNew();
        using var p = Start("dotnet", [.. args]);
        var err = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{query} under {policy} failed: {await err}");
        return sw.Elapsed.TotalSeconds;
    }

    private static async Task WaitForWorkersAsync(string launcher, string coordinator, string secret, int count)
    {
        for (int attempt = 0; attempt < 120; attempt++)
        {
            var status = Capture("dotnet", launcher, "status", "--coordinator", coordinator, "--secret-file", secret);
            if (status.Contains($"workers: {count},", StringComparison.Ordinal)) return;
            await Task.Delay(500);
        }
        throw new TimeoutException("the workers did not register");
    }

    private static void Report(List<Run> runs, Dictionary<string, string> evals, List<(int Worker, double From, double To)> timeline,
        double quota, int bottlenecks, int parallelism, int queries, int seed, string root)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Bottleneck experiment {DateTime.UtcNow:yyyy-MM-dd}: 4 emulated nodes (worker processes, {quota} core each, 2 slots), {bottlenecks} with an injected on/off bottleneck (3 competing CPU-bound processes in its cgroup), {queries} rounds of scan/aggregate/join/iterate at parallelism {parallelism}, seed {seed}.");
        sb.AppendLine();
        sb.AppendLine("| placement | median s | p75 s | median with bottleneck on | median vs locality | p75 vs locality |");
        sb.AppendLine("|---|---|---|---|---|---|");
        double baseMedian = Median(runs.Where(r => r.Policy == "locality").Select(r => r.Seconds));
        double baseP75 = Percentile(runs.Where(r => r.Policy == "locality").Select(r => r.Seconds), 0.75);
        foreach (var policy in s_policies)
        {
            var xs = runs.Where(r => r.Policy == policy).Select(r => r.Seconds).ToList();
            var on = runs.Where(r => r.Policy == policy && r.BottleneckOn).Select(r => r.Seconds).ToList();
            double m = Median(xs), p = Percentile(xs, 0.75);
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {policy} | {m:F2} | {p:F2} | {(on.Count > 0 ? Median(on).ToString("F2", CultureInfo.InvariantCulture) : "–")} | {(m / baseMedian - 1) * 100:+0;-0}% | {(p / baseP75 - 1) * 100:+0;-0}% |");
        }
        sb.AppendLine();
        foreach (var (model, text) in evals)
        {
            var all = text.Split('\n').FirstOrDefault(l => l.StartsWith("node_cpu", StringComparison.Ordinal)) ?? "";
            sb.AppendLine(CultureInfo.InvariantCulture, $"predict-eval --model {model} --metrics node_cpu --horizon 2: `{all.Trim()}`");
        }
        Console.WriteLine(sb.ToString());
        var dir = Path.Combine(root, "benchmarks", "results");
        Directory.CreateDirectory(dir);
        string stem = Path.Combine(dir, $"{DateTime.UtcNow:yyyy-MM-dd}-bottleneck");
        File.WriteAllText(stem + ".md", sb.ToString());
        File.WriteAllText(stem + ".json", JsonSerializer.Serialize(new { runs, timeline = timeline.Select(t => new { worker = $"w{t.Worker}", from_s = t.From, to_s = t.To }), evals },
            new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(stem + ".svg", Plot(runs, timeline));
        Console.WriteLine($"results: {stem}.md / .json / .svg");
    }

    /// <summary>Completion time of every query over the experiment's time, per policy, with the bottleneck periods shaded.</summary>
    private static string Plot(List<Run> runs, List<(int Worker, double From, double To)> timeline)
    {
        const double W = 900, H = 360, L = 50, B = 40, T = 20, R = 160;
        double tMax = Math.Max(1, runs.Max(r => r.StartSeconds + r.Seconds));
        double yMax = Math.Max(1, runs.Max(r => r.Seconds)) * 1.1;
        string X(double t) => (L + t / tMax * (W - L - R)).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double v) => (H - B - v / yMax * (H - B - T)).ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"11\">");
        foreach (var (worker, from, to) in timeline)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{X(from)}\" y=\"{T}\" width=\"{(to - from) / tMax * (W - L - R):F1}\" height=\"{H - B - T}\" fill=\"#f4cccc\" opacity=\"0.6\"/>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" y1=\"{H - B}\" x2=\"{W - R}\" y2=\"{H - B}\" stroke=\"black\"/><line x1=\"{L}\" y1=\"{T}\" x2=\"{L}\" y2=\"{H - B}\" stroke=\"black\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(W - R) / 2}\" y=\"{H - 8}\">time (s); shaded: bottleneck on</text><text x=\"5\" y=\"{T + 10}\">s</text>");
        for (int i = 0; i <= 4; i++)
        {
            double v = yMax * i / 4;
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"20\" y=\"{Y(v)}\">{v:F1}</text>");
        }
        string[] colors = ["#1f77b4", "#d62728", "#2ca02c"];
        for (int k = 0; k < s_policies.Length; k++)
        {
            foreach (var r in runs.Where(r => r.Policy == s_policies[k]))
            {
                sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{X(r.StartSeconds)}\" cy=\"{Y(r.Seconds)}\" r=\"3\" fill=\"{colors[k]}\"/>");
            }
            sb.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{W - R + 15}\" cy=\"{T + 15 + 18 * k}\" r=\"4\" fill=\"{colors[k]}\"/><text x=\"{W - R + 25}\" y=\"{T + 19 + 18 * k}\">{s_policies[k]}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    private static double Median(IEnumerable<double> xs) => Percentile(xs, 0.5);

    private static double Percentile(IEnumerable<double> xs, double q)
    {
        var s = xs.Order().ToArray();
        if (s.Length == 0) return double.NaN;
        double pos = q * (s.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        if (file != "dotnet" || args.Length < 2 || args[1] != "submit")
        {
            // Long-running helpers: drain their output so they never block on a full pipe.
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }
        return p;
    }

    private static string Capture(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output + err.Result;
    }

    private static void Stop(Process p)
    {
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dataflow.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Dataflow.sln not found");
    }
}
