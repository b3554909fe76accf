using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.CommandLine;
using Dataflow.Runtime.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary><c>dataflow run</c>: a coordinator and worker processes on this machine for one program, stopped again when it ends.</summary>
internal static class RunCommand
{
    /// <summary><c>run --workers N [--initial-workers K] [--max-workers M] [--slots S] [--standbys follow|cold] [--worker-wrapper CMD] [--secret-file F] [--heartbeat-timeout-ms T] [--trace F] -- PROGRAM [args]</c>.</summary>
    public static Command Create()
    {
        var workers = CommandLineOptions.Int("--workers", "worker processes to start on this machine", 0, 1);
        workers.Required = true;
        workers.DefaultValueFactory = null;
        var initial = new Option<int?>("--initial-workers") { Description = "workers the job starts on (the others are warm standbys it takes when an elastic iteration scales out; default: all)" };
        var maxWorkers = CommandLineOptions.Int("--max-workers", "the job may start more worker processes, up to M in the job, and stops those beyond N it releases", 0, 0);
        var slots = CommandLineOptions.Int("--slots", "subtasks each worker runs at once", 1, 1);
        var standbys = CommandSupport.Standbys();
        var wrapper = new Option<string>("--worker-wrapper") { Description = "a command put before each worker's (\"{n}\": the worker's number), e.g. one that puts it under a CPU quota" };
        var secret = CommandSupport.SecretFile(required: false);
        secret.Description = "the shared secret (default: a new one, created 0600 in a private run folder)";
        var heartbeat = CommandLineOptions.Int("--heartbeat-timeout-ms", "a worker silent this long is lost", 3000, 100);
        var trace = new Option<string>("--trace") { Description = "records every worker heartbeat's metrics to this file (for predict-eval)" };
        var ui = ClusterDashboard.UiOption();
        var uiAddress = ClusterDashboard.AddressOption();
        var program = CommandSupport.Program();
        var command = new Command("run", "starts a coordinator and N worker processes on this machine, runs the program on them (its output, files and statistics appear here) and stops every process again")
        {
            workers, initial, maxWorkers, slots, standbys, wrapper, secret, heartbeat, trace, ui, uiAddress, program,
        };
        command.SetAction((r, _) => ExecuteAsync(new Settings(r.GetValue(workers), r.GetValue(initial), r.GetValue(maxWorkers), r.GetValue(slots),
            r.GetValue(standbys) == "follow", r.GetValue(wrapper), r.GetValue(secret), r.GetValue(heartbeat), r.GetValue(trace), r.GetValue(ui), r.GetValue(uiAddress)!, r.GetValue(program)!)));
        return command;
    }

    private sealed record Settings(int Workers, int? InitialWorkers, int MaxWorkers, int Slots, bool Follow, string? Wrapper, string? SecretFile, int HeartbeatMs,
        string? Trace, int? Ui, IPAddress UiAddress, string[] Program);

    private static async Task<int> ExecuteAsync(Settings o)
    {
        int workers = o.Workers;
        int maxWorkers = o.MaxWorkers;
        int initial = o.InitialWorkers ?? workers;
        if (initial < 1 || initial > workers) throw new ArgumentException("--initial-workers must be between 1 and --workers");
        if (maxWorkers != 0 && maxWorkers < initial) throw new ArgumentException("--max-workers must be at least the workers the job starts with");
        if (initial < workers && maxWorkers == 0) maxWorkers = workers;
        int slots = o.Slots;
        bool follow = o.Follow;
        var program = o.Program;
        var dll = ProgramResolver.Resolve(program[0]);
        var runs = PrivateDirectory.UnderUserRoot("runs");
        RemoveOrphans(runs);
        var runDir = PrivateDirectory.Create(Path.Combine(runs, $"run-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24]));
        string secretFile = o.SecretFile ?? Path.Combine(runDir, "secret");
        if (o.SecretFile is null) Authentication.WriteNewSecret(secretFile);
        var secret = Authentication.ReadSecret(secretFile);
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        // The coordinator and what it resolves (placement policies; the provider that starts worker processes) come from DI.
        var wrapper = o.Wrapper;
        await using var services = CommandSupport.CoordinatorServices(new CoordinatorOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Secret = secret,
            CacheDirectory = Path.Combine(runDir, "coordinator-cache"),
            HeartbeatTimeout = TimeSpan.FromMilliseconds(o.HeartbeatMs),
            StandbysFollow = follow,
            // The N workers started stay as warm standbys when a job releases them; more (started for a job that grows) are stopped again.
            KeepWorkers = workers,
        }, LogLevel.Warning, cluster => cluster.AddResourceProvider(sp =>
        {
            var c = sp.GetRequiredService<Coordinator>();
            return new LocalProcessProvider(c, n => WorkerStartInfo(wrapper, c.EndPoint, slots, secretFile, Path.Combine(runDir, $"worker-{n}")), runDir);
        }));
        var coordinator = services.GetRequiredService<Coordinator>();
        using var trace = CommandSupport.RecordTrace(coordinator, o.Trace);
        coordinator.Start();
        await using var dashboard = o.Ui is int port ? await ClusterDashboard.StartAsync(coordinator, o.UiAddress, port, secret) : null;
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
            }, CommandSupport.RunProgram, cts.Token);
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
            // The submitter's last message (its program's end) may still be on its way: a coordinator stopped before reading it would call the job failed.
            for (int i = 0; i < 40 && !cts.IsCancellationRequested && coordinator.Status().Jobs.Any(j => j.State is "running" or "starting"); i++) await Task.Delay(50);
            await coordinator.DisposeAsync();
            await provider.DisposeAsync(); // stops the worker processes
            if (Environment.GetEnvironmentVariable("DATAFLOW_KEEP_RUN_DIR") != "1") CommandSupport.TryDelete(runDir); // kept for debugging: worker logs
        }
    }


    /// <summary>
    /// Removes the folders of earlier runs whose process is gone: a run killed with SIGKILL cannot
    /// remove its own (secret, caches, worker logs), so the next run does.
    /// </summary>
    private static void RemoveOrphans(string runs)
    {
        foreach (var dir in Directory.EnumerateDirectories(runs, "run-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 3 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid == Environment.ProcessId) continue;
            if (IsRunning(pid)) continue;
            CommandSupport.TryDelete(dir);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static ProcessStartInfo WorkerStartInfo(string? wrapper, IPEndPoint coordinator, int slots, string secretFile, string workDir)
    {
        var self = typeof(RunCommand).Assembly.Location;
        var command = new List<string>();
        // "{n}" in the wrapper becomes the worker's number (1-based): e.g. one cgroup per worker.
        if (wrapper is not null) command.AddRange(SplitCommand(wrapper.Replace("{n}", Path.GetFileName(workDir)["worker-".Length..], StringComparison.Ordinal)));
        command.AddRange(["dotnet", self, "worker", "--coordinator", coordinator.ToString(), "--slots", slots.ToString(CultureInfo.InvariantCulture),
            "--secret-file", secretFile, "--work-dir", workDir, "--reconnect-timeout", "0"]);
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
    /// once, all of which survive: with the default budget of a few MiB the worker collects dozens of times during the
    /// move, copying them along (measurements: docs/elasticity.md, "Constants chosen by measurement").
    /// </summary>
    private const string WorkerGen0Budget = "0x4000000";

    private static IEnumerable<string> SplitCommand(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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
