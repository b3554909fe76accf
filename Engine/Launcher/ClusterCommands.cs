using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Hosting;
using Dataflow.Scheduling.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary>The cluster commands of docs/architecture.md §10: run, coordinator, worker, submit, status.</summary>
internal static class ClusterCommands
{
    /// <summary><c>run --workers N [--initial-workers K] [--max-workers M] [--slots S] [--worker-wrapper CMD] [--secret-file F] -- PROGRAM [args]</c>.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var (o, program) = Options.Parse(args, ["workers", "initial-workers", "max-workers", "slots", "standbys", "worker-wrapper", "secret-file", "heartbeat-timeout-ms", "trace"],
            requireProgram: true);
        int workers = o.Int("workers", 0);
        if (workers < 1) throw new ArgumentException("run needs --workers N (N ≥ 1)");
        int maxWorkers = o.Int("max-workers", 0);
        int initial = o.Int("initial-workers", workers);
        if (initial < 1 || initial > workers) throw new ArgumentException("--initial-workers must be between 1 and --workers");
        if (maxWorkers != 0 && maxWorkers < initial) throw new ArgumentException("--max-workers must be at least the workers the job starts with");
        if (initial < workers && maxWorkers == 0) maxWorkers = workers;
        int slots = o.Int("slots", 1);
        if (slots < 1) throw new ArgumentException("--slots must be at least 1");
        bool follow = StandbysFollow(o);
        var dll = ProgramResolver.Resolve(program[0]);
        var runDir = Path.Combine(Path.GetTempPath(), $"dataflow-run-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(runDir);
        string secretFile = o.Get("secret-file") ?? Path.Combine(runDir, "secret");
        if (o.Get("secret-file") is null) Authentication.WriteNewSecret(secretFile);
        var secret = Authentication.ReadSecret(secretFile);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // The coordinator and what it resolves (placement policies; the provider that starts worker processes) come from DI.
        var wrapper = o.Get("worker-wrapper");
        await using var services = CoordinatorServices(new CoordinatorOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Secret = secret,
            CacheDirectory = Path.Combine(runDir, "coordinator-cache"),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(o.Int("heartbeat-timeout-ms", 3000)),
            StandbysFollow = follow,
            // The N workers started stay as warm standbys when a job releases them; more (started for a job that grows) are stopped again.
            KeepWorkers = workers,
        }, LogLevel.Warning, cluster => cluster.AddResourceProvider(sp =>
        {
            var c = sp.GetRequiredService<Coordinator>();
            return new LocalProcessProvider(c, n => WorkerStartInfo(wrapper, c.EndPoint, slots, secretFile, Path.Combine(runDir, $"worker-{n}")), runDir);
        }));
        var coordinator = services.GetRequiredService<Coordinator>();
        using var trace = RecordTrace(coordinator, o.Get("trace"));
        coordinator.Start();
        var provider = (LocalProcessProvider)services.GetRequiredService<Dataflow.Runtime.Extensibility.IResourceProvider>();
        using var stopOnExit = new ProcessExitGuard(provider);
        try
        {
            await provider.AcquireAsync(workers, cts.Token);
            return await Submitter.RunAsync(new SubmitOptions
            {
                Coordinator = coordinator.EndPoint,
                Secret = secret,
                Program = dll,
                Args = program[1..],
                Workers = initial,
                MaxWorkers = maxWorkers,
            }, RunProgram, cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        catch (Exception e) when (e is ClusterJobException or TimeoutException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            await coordinator.DisposeAsync();
            await provider.DisposeAsync(); // stops the worker processes
            if (Environment.GetEnvironmentVariable("DATAFLOW_KEEP_RUN_DIR") != "1") TryDelete(runDir); // kept for debugging: worker logs
        }
    }

    /// <summary>The coordinator's services: the coordinator itself, the placement service, and what <paramref name="configure"/> adds.</summary>
    private static ServiceProvider CoordinatorServices(CoordinatorOptions options, LogLevel level, Action<IClusterBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new StderrLoggerFactory(level));
        var cluster = services.AddDataflowCluster(options);
        configure?.Invoke(cluster);
        return services.BuildServiceProvider();
    }

    /// <summary><c>--standbys follow|cold</c> (default follow): whether free workers follow the jobs that may acquire them (<see cref="CoordinatorOptions.StandbysFollow"/>).</summary>
    private static bool StandbysFollow(Options o) => o.Get("standbys") switch
    {
        null or "follow" => true,
        "cold" => false,
        var v => throw new ArgumentException($"--standbys expects follow or cold, got '{v}'"),
    };

    /// <summary>Records every worker heartbeat's metrics into a trace file (for <c>predict-eval</c>); null when no path is given.</summary>
    private static TraceWriter? RecordTrace(Coordinator coordinator, string? path)
    {
        if (path is null) return null;
        var writer = new TraceWriter(path);
        var start = Stopwatch.GetTimestamp();
        coordinator.HeartbeatReceived += (worker, h) =>
        {
            long ms = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (writer)
            {
                for (int i = 0; i < h.Names.Length && i < h.Values.Length; i++)
                {
                    if (double.IsFinite(h.Values[i])) writer.Write(new TracePoint(ms, worker, h.Names[i], h.Values[i]));
                }
            }
        };
        return writer;
    }

    /// <summary>Runs a job's program in this process (the submitter's or a worker's copy).</summary>
    public static Task<int> RunProgram(string directory, string entry, string[] args, ClusterSession session) =>
        ProgramLoader.RunAsync(Path.Combine(directory, entry), args, session);

    private static ProcessStartInfo WorkerStartInfo(string? wrapper, IPEndPoint coordinator, int slots, string secretFile, string workDir)
    {
        var self = typeof(ClusterCommands).Assembly.Location;
        var command = new List<string>();
        // "{n}" in the wrapper becomes the worker's number (1-based): e.g. one cgroup per worker.
        if (wrapper is not null) command.AddRange(SplitCommand(wrapper.Replace("{n}", Path.GetFileName(workDir)["worker-".Length..], StringComparison.Ordinal)));
        command.AddRange(["dotnet", self, "worker", "--coordinator", coordinator.ToString(), "--slots", slots.ToString(CultureInfo.InvariantCulture),
            "--secret-file", secretFile, "--work-dir", workDir]);
        var info = new ProcessStartInfo(command[0]);
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        info.WorkingDirectory = Environment.CurrentDirectory;
        if (Environment.GetEnvironmentVariable(Gen0Variable) is null) info.Environment[Gen0Variable] = WorkerGen0Budget;
        return info;
    }

    private const string Gen0Variable = "DOTNET_GCgen0size";

    /// <summary>
    /// The garbage collector's gen0 budget of worker processes (64 MiB, hex, unless DOTNET_GCgen0size is set; the
    /// <c>./dataflow worker</c> script sets the same). A move of iteration state into a worker allocates its records at
    /// once, all of which survive: with the default budget of a few MiB a worker that received 530 000 k-means points
    /// collected dozens of times during the move, copying them along (2→3 on 0.25-core workers: 570–690 ms against
    /// 270–370 ms with 64 MiB; supersteps unchanged).
    /// </summary>
    private const string WorkerGen0Budget = "0x4000000";

    private static IEnumerable<string> SplitCommand(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary><c>coordinator --listen HOST:PORT --secret-file F</c>: serves until stopped.</summary>
    public static async Task<int> CoordinatorAsync(string[] args)
    {
        var (o, _) = Options.Parse(args, ["listen", "secret-file", "heartbeat-timeout-ms", "cache-dir", "standbys", "trace"], requireProgram: false);
        var listen = ParseEndPoint(o.Require("listen"));
        var secret = Authentication.ReadSecret(o.Require("secret-file"));
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CancelQuietly(cts);
        var options = new CoordinatorOptions
        {
            Listen = listen,
            Secret = secret,
            HeartbeatTimeout = TimeSpan.FromMilliseconds(o.Int("heartbeat-timeout-ms", 3000)),
        };
        if (o.Get("cache-dir") is { } cache) options.CacheDirectory = cache;
        options.StandbysFollow = StandbysFollow(o);
        await using var services = CoordinatorServices(options, LogLevel.Information);
        var coordinator = services.GetRequiredService<Coordinator>();
        using var trace = RecordTrace(coordinator, o.Get("trace"));
        coordinator.Start();
        Console.Error.WriteLine($"coordinator listening on {coordinator.EndPoint}");
        try
        {
            await Task.Delay(Timeout.Infinite, cts.Token);
        }
        catch (OperationCanceledException)
        {
        }
        return 0;
    }

    /// <summary><c>worker --coordinator HOST:PORT --slots S --secret-file F [--advertise IP] [--data-port P] [--work-dir D]</c>.</summary>
    public static async Task<int> WorkerAsync(string[] args)
    {
        var (o, _) = Options.Parse(args, ["coordinator", "slots", "secret-file", "advertise", "data-port", "work-dir", "monitor-ms"], requireProgram: false);
        var options = new WorkerOptions
        {
            Coordinator = ParseEndPoint(o.Require("coordinator")),
            Slots = o.Int("slots", 1),
            Secret = Authentication.ReadSecret(o.Require("secret-file")),
            DataPort = o.Int("data-port", 0),
        };
        if (o.Get("advertise") is { } advertise) options.Advertise = IPAddress.Parse(advertise);
        if (o.Get("work-dir") is { } dir) options.WorkDirectory = dir;
        if (options.Slots < 1) throw new ArgumentException("--slots must be at least 1");
        using var monitor = new NodeMonitor(new NodeMonitorOptions { Interval = TimeSpan.FromMilliseconds(o.Int("monitor-ms", 500)) });
        monitor.Start();
        // Under a CPU quota (an emulated node), the node's CPU utilization is the cgroup's, relative to the quota.
        var cgroup = CgroupCpu.Detect();
        options.Metrics = () =>
        {
            var sample = monitor.Latest;
            var values = MetricNames.All.Select(sample.Get).ToArray();
            if (cgroup is not null) values[MetricNames.All.ToList().IndexOf(MetricNames.NodeCpu)] = cgroup.Sample();
            return (MetricNames.All.ToArray(), values);
        };
        // The program copies a worker runs print nothing: their output is the submitter's.
        Console.SetOut(TextWriter.Null);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CancelQuietly(cts);
        // The code of a rescale is compiled while the worker waits for work, not during a job's first rescale.
        var warmUp = new Thread(() => Runtime.Execution.JitWarmUp.Prepare([.. Dataflow.Iterations.RescaleWarmUp.Roots, .. Dataflow.Cluster.ClusterWarmUp.Roots])) { IsBackground = true, Priority = ThreadPriority.BelowNormal, Name = "rescale warm-up" };
        warmUp.Start();
        await using var host = new WorkerHost(options, RunProgram, new StderrLogger("worker", LogLevel.Information));
        try
        {
            await host.RunAsync(cts.Token);
            return 0;
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ProtocolException)
        {
            Console.Error.WriteLine($"worker: lost the coordinator at {options.Coordinator}: {e.Message}");
            return 1;
        }
    }

    /// <summary><c>submit --coordinator HOST:PORT --secret-file F [--workers N] [--max-workers M] [--advertise IP] -- PROGRAM [args]</c>.</summary>
    public static async Task<int> SubmitAsync(string[] args)
    {
        var (o, program) = Options.Parse(args, ["coordinator", "secret-file", "workers", "max-workers", "advertise"], requireProgram: true);
        var options = new SubmitOptions
        {
            Coordinator = ParseEndPoint(o.Require("coordinator")),
            Secret = Authentication.ReadSecret(o.Require("secret-file")),
            Program = ProgramResolver.Resolve(program[0]),
            Args = program[1..],
            Workers = o.Int("workers", 0),
            MaxWorkers = o.Int("max-workers", 0),
        };
        if (o.Get("advertise") is { } advertise) options.Advertise = IPAddress.Parse(advertise);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            return await Submitter.RunAsync(options, RunProgram, cts.Token);
        }
        catch (ClusterJobException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary><c>status --coordinator HOST:PORT --secret-file F</c>: workers, slots, jobs.</summary>
    public static async Task<int> StatusAsync(string[] args)
    {
        var (o, _) = Options.Parse(args, ["coordinator", "secret-file"], requireProgram: false);
        await using var channel = await ControlChannel.ConnectAsync(ParseEndPoint(o.Require("coordinator")), Authentication.ReadSecret(o.Require("secret-file")));
        await channel.SendAsync(new StatusRequest(1));
        if (await channel.ReceiveAsync() is not StatusReply reply) throw new IOException("The coordinator sent no status.");
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"workers: {reply.Workers.Length}, slots: {reply.Workers.Sum(w => w.Slots)}, busy: {reply.Workers.Count(w => w.Job != 0)}");
        Console.WriteLine("  id     address                 slots  pid      job  cpu    memory     heartbeat   standby of");
        foreach (var w in reply.Workers)
        {
            Console.WriteLine(string.Create(inv, $"  {w.Id,-6} {w.Host + ":" + w.DataPort,-23} {w.Slots,5}  {w.Pid,-7} {(w.Job == 0 ? "-" : w.Job.ToString(inv)),4}  {w.Cpu,5:P0}  {w.MemoryBytes / 1048576.0,6:F0} MiB  {w.SecondsSinceHeartbeat,5:F1} s ago  {(w.Follows == 0 ? "-" : "job " + w.Follows.ToString(inv))}"));
        }
        Console.WriteLine($"jobs: {reply.Jobs.Count(j => j.State == "running")} running, {reply.Jobs.Length} total");
        foreach (var j in reply.Jobs)
        {
            Console.WriteLine(string.Create(inv, $"  job {j.Job,-3} {j.State,-9} {j.Entry,-24} workers {string.Join(",", j.Workers),-12} steps {j.Steps,4}  {j.Progress}"));
        }
        return 0;
    }

    /// <summary>Cancels on SIGTERM; at a normal exit the source may already be disposed.</summary>
    private static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static IPEndPoint ParseEndPoint(string s)
    {
        int colon = s.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(s[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"expected HOST:PORT, got '{s}'");
        }
        var host = s[..colon];
        if (!IPAddress.TryParse(host, out var address))
        {
            address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"cannot resolve host '{host}'");
        }
        return new IPEndPoint(address, port);
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Stops the worker processes also when this process is terminated (SIGTERM) rather than returning normally.</summary>
    private sealed class ProcessExitGuard : IDisposable
    {
        private readonly LocalProcessProvider _provider;

        public ProcessExitGuard(LocalProcessProvider provider)
        {
            _provider = provider;
            AppDomain.CurrentDomain.ProcessExit += OnExit;
        }

        private void OnExit(object? sender, EventArgs e) => _provider.DisposeAsync().AsTask().GetAwaiter().GetResult();

        public void Dispose() => AppDomain.CurrentDomain.ProcessExit -= OnExit;
    }
}

/// <summary>Finds the entry assembly of a program given as a .dll, a project file or a project folder (built in Release).</summary>
internal static class ProgramResolver
{
    public static string Resolve(string program)
    {
        if (program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : throw new ArgumentException($"program not found: {program}");
        }
        string project = program.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) ? program
            : Directory.Exists(program) ? Directory.EnumerateFiles(program, "*.csproj").FirstOrDefault() ?? throw new ArgumentException($"no .csproj in {program}")
            : throw new ArgumentException($"program not found: {program} (give a .dll, a .csproj or a project folder)");
        project = Path.GetFullPath(project);
        var name = XDocument.Load(project).Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);
        var dll = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", name + ".dll");
        if (!File.Exists(dll) || NewestSource(Path.GetDirectoryName(project)!) > File.GetLastWriteTimeUtc(dll))
        {
            var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"]) { RedirectStandardOutput = true })!;
            var output = build.StandardOutput.ReadToEnd();
            build.WaitForExit();
            if (build.ExitCode != 0) throw new InvalidOperationException($"building {project} failed:\n{output}");
        }
        return dll;
    }

    private static DateTime NewestSource(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
}

/// <summary><c>--name value</c> options, then <c>--</c> and a program with its own arguments.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static (Options Options, string[] Program) Parse(string[] args, string[] known, bool requireProgram)
    {
        var o = new Options();
        int i = 0;
        for (; i < args.Length; i++)
        {
            if (args[i] == "--")
            {
                i++;
                break;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || !known.Contains(args[i][2..]))
            {
                throw new ArgumentException($"unknown option '{args[i]}' (known: {string.Join(", ", known.Select(k => "--" + k))})");
            }
            if (i + 1 >= args.Length) throw new ArgumentException($"option '{args[i]}' needs a value");
            o._values[args[i][2..]] = args[++i];
        }
        var program = args[i..];
        if (requireProgram && program.Length == 0) throw new ArgumentException("missing the program: ... -- <examples/Name | Job.dll> [job args]");
        if (!requireProgram && program.Length > 0) throw new ArgumentException($"unexpected arguments: {string.Join(' ', program)}");
        return (o, program);
    }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"missing --{name}");

    public int Int(string name, int fallback) =>
        Get(name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int x) ? x
        : throw new ArgumentException($"--{name} expects an integer, got '{v}'");
}

/// <summary>A minimal logger to standard error.</summary>
/// <summary>Loggers that write one line per message to standard error.</summary>
internal sealed class StderrLoggerFactory(LogLevel minimum) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, minimum);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("Standard error is the only provider.");

    public void Dispose()
    {
    }
}

internal sealed class StderrLogger(string category, LogLevel minimum) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {category} {logLevel.ToString().ToLowerInvariant()}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
