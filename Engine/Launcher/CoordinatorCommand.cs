using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary><c>dataflow coordinator</c>: a standalone coordinator that runs until stopped.</summary>
internal static class CoordinatorCommand
{
    /// <summary><c>coordinator --listen HOST:PORT --secret-file F</c>: serves until stopped.</summary>
    public static async Task<int> ExecuteAsync(string[] args)
    {
        var (o, _) = Options.Parse(args, ["listen", "secret-file", "heartbeat-timeout-ms", "cache-dir", "standbys", "trace"], requireProgram: false);
        var listen = CommandSupport.ParseEndPoint(o.Require("listen"));
        var secret = Authentication.ReadSecret(o.Require("secret-file"));
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        // SIGTERM ends the process through the normal return path (so a worker can tell the coordinator it leaves).
        using var onTerm = CommandSupport.CancelOnSigterm(cts);
        var options = new CoordinatorOptions
        {
            Listen = listen,
            Secret = secret,
            HeartbeatTimeout = TimeSpan.FromMilliseconds(o.Int("heartbeat-timeout-ms", 3000)),
        };
        if (o.Get("cache-dir") is { } cache) options.CacheDirectory = cache;
        options.StandbysFollow = CommandSupport.StandbysFollow(o);
        await using var services = CommandSupport.CoordinatorServices(options, LogLevel.Information);
        var coordinator = services.GetRequiredService<Coordinator>();
        using var trace = CommandSupport.RecordTrace(coordinator, o.Get("trace"));
        coordinator.Start();
        Console.Error.WriteLine($"coordinator listening on {coordinator.EndPoint}");
        // Until Ctrl-C / SIGTERM (the workers wait for a restarted coordinator) or `dataflow stop` (the workers exit too).
        await Task.WhenAny(Task.Delay(Timeout.Infinite, cts.Token), coordinator.StopRequested).ContinueWith(_ => { }, TaskScheduler.Default);
        if (coordinator.StopRequested.IsCompleted) Console.Error.WriteLine("coordinator stopped with its cluster");
        return 0;
    }
}
