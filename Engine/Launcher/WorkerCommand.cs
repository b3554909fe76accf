using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.Scheduling.Monitoring;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary><c>dataflow worker</c>: a worker that offers its slots to a coordinator.</summary>
internal static class WorkerCommand
{
    /// <summary><c>worker --coordinator HOST:PORT --slots S --secret-file F [--advertise IP] [--data-port P] [--work-dir D]</c>.</summary>
    public static async Task<int> ExecuteAsync(string[] args)
    {
        var (o, _) = Options.Parse(args, ["coordinator", "slots", "secret-file", "advertise", "data-port", "work-dir", "monitor-ms", "reconnect-timeout"], requireProgram: false);
        var options = new WorkerOptions
        {
            Coordinator = CommandSupport.ParseEndPoint(o.Require("coordinator")),
            Slots = o.Int("slots", 1),
            Secret = Authentication.ReadSecret(o.Require("secret-file")),
            DataPort = o.Int("data-port", 0),
        };
        if (o.Get("advertise") is { } advertise) options.Advertise = IPAddress.Parse(advertise);
        if (o.Get("work-dir") is { } dir) options.WorkDirectory = dir;
        if (options.Slots < 1) throw new ArgumentException("--slots must be at least 1");
        int reconnect = o.Int("reconnect-timeout", 300);
        if (reconnect < 0) throw new ArgumentException("--reconnect-timeout must be 0 or more seconds");
        options.ReconnectTimeout = TimeSpan.FromSeconds(reconnect);
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
        // SIGTERM ends the process through the normal return path (so a worker can tell the coordinator it leaves).
        using var onTerm = CommandSupport.CancelOnSigterm(cts);
        // The code of a rescale is compiled while the worker waits for work, not during a job's first rescale.
        var warmUp = new Thread(() => Runtime.Execution.JitWarmUp.Prepare([.. Dataflow.Iterations.RescaleWarmUp.Roots, .. Dataflow.Cluster.ClusterWarmUp.Roots])) { IsBackground = true, Priority = ThreadPriority.BelowNormal, Name = "rescale warm-up" };
        warmUp.Start();
        await using var host = new WorkerHost(options, CommandSupport.RunProgram, new StderrLogger("worker", LogLevel.Information));
        try
        {
            var reason = await host.RunAsync(cts.Token);
            Console.Error.WriteLine($"worker: stopped by the coordinator ({reason})");
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
}
