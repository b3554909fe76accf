using System.CommandLine;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary><c>dataflow coordinator</c>: a standalone coordinator that runs until stopped.</summary>
internal static class CoordinatorCommand
{
    /// <summary><c>coordinator --listen HOST:PORT --secret-file F [--heartbeat-timeout-ms T] [--cache-dir D] [--standbys follow|cold] [--trace F]</c>: serves until stopped.</summary>
    public static Command Create()
    {
        var listen = CommandSupport.EndPoint("--listen", "the address to listen on");
        var secret = CommandSupport.SecretFile();
        var heartbeat = CommandLineOptions.Int("--heartbeat-timeout-ms", "a worker silent this long is lost", 3000, 100);
        var cache = new Option<string>("--cache-dir") { Description = "where job files are cached (default: ~/.cache/dataflow/coordinator-cache, private)" };
        var standbys = CommandSupport.Standbys();
        var trace = new Option<string>("--trace") { Description = "records every worker heartbeat's metrics to this file (for predict-eval)" };
        var ui = ClusterDashboard.UiOption();
        var uiAddress = ClusterDashboard.AddressOption();
        var command = new Command("coordinator", "runs a coordinator until stopped (Ctrl-C, SIGTERM, or dataflow stop)") { listen, secret, heartbeat, cache, standbys, trace, ui, uiAddress };
        command.SetAction((r, _) =>
        {
            var options = new CoordinatorOptions
            {
                Listen = r.GetValue(listen)!,
                Secret = Authentication.ReadSecret(r.GetValue(secret)!),
                HeartbeatTimeout = TimeSpan.FromMilliseconds(r.GetValue(heartbeat)),
                StandbysFollow = r.GetValue(standbys) == "follow",
            };
            if (r.GetValue(cache) is { } dir) options.CacheDirectory = dir;
            return ExecuteAsync(options, r.GetValue(trace), r.GetValue(ui), r.GetValue(uiAddress)!);
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(CoordinatorOptions options, string? tracePath, int? ui, System.Net.IPAddress uiAddress)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        // SIGTERM ends the process through the normal return path (so a worker can tell the coordinator it leaves).
        using var onTerm = CommandSupport.CancelOnSigterm(cts);
        await using var services = CommandSupport.CoordinatorServices(options, LogLevel.Information);
        var coordinator = services.GetRequiredService<Coordinator>();
        using var trace = CommandSupport.RecordTrace(coordinator, tracePath);
        coordinator.Start();
        Console.Error.WriteLine($"coordinator listening on {coordinator.EndPoint}");
        await using var dashboard = ui is int port ? await ClusterDashboard.StartAsync(coordinator, uiAddress, port, options.Secret) : null;
        // Until Ctrl-C / SIGTERM (the workers wait for a restarted coordinator) or `dataflow stop` (the workers exit too).
        await Task.WhenAny(Task.Delay(Timeout.Infinite, cts.Token), coordinator.StopRequested).ContinueWith(_ => { }, TaskScheduler.Default);
        if (coordinator.StopRequested.IsCompleted) Console.Error.WriteLine("coordinator stopped with its cluster");
        return 0;
    }
}
