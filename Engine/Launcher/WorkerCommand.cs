using System.CommandLine;
using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.CommandLine;
using Dataflow.Scheduling.Monitoring;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary><c>dataflow worker</c>: a worker that offers its slots to a coordinator.</summary>
internal static class WorkerCommand
{
    /// <summary><c>worker --coordinator HOST:PORT --secret-file F [--slots S] [--advertise IP] [--data-port P] [--work-dir D] [--monitor-ms M] [--reconnect-timeout S]</c>.</summary>
    public static Command Create()
    {
        var coordinator = CommandSupport.Coordinator();
        var secret = CommandSupport.SecretFile();
        var slots = CommandLineOptions.Int("--slots", "subtasks it runs at once", 1, 1);
        var advertise = CommandSupport.Address("--advertise", "the address other processes reach its data plane at");
        var dataPort = CommandLineOptions.Int("--data-port", "the data plane's port (0: any free one)", 0, 0);
        var workDir = new Option<string>("--work-dir") { Description = "where job files are cached and laid out (default: ~/.cache/dataflow/worker, private)" };
        var monitorMs = CommandLineOptions.Int("--monitor-ms", "how often the node monitor samples, in ms", 500, 10);
        var reconnect = CommandLineOptions.Int("--reconnect-timeout",
            "seconds it keeps trying to reach a coordinator that is not up yet or was lost, registering again with a restarted one (0: exit when it is lost)", 300, 0);
        var command = new Command("worker", "runs a worker that offers its slots to a coordinator") { coordinator, secret, slots, advertise, dataPort, workDir, monitorMs, reconnect };
        command.SetAction((r, _) =>
        {
            var options = new WorkerOptions
            {
                Coordinator = r.GetValue(coordinator)!,
                Slots = r.GetValue(slots),
                Secret = Authentication.ReadSecret(r.GetValue(secret)!),
                DataPort = r.GetValue(dataPort),
                Advertise = r.GetValue(advertise)!,
                ReconnectTimeout = TimeSpan.FromSeconds(r.GetValue(reconnect)),
            };
            if (r.GetValue(workDir) is { } dir) options.WorkDirectory = dir;
            return ExecuteAsync(options, TimeSpan.FromMilliseconds(r.GetValue(monitorMs)));
        });
        return command;
    }

    private static async Task<int> ExecuteAsync(WorkerOptions options, TimeSpan monitorInterval)
    {
        using var monitor = new NodeMonitor(new NodeMonitorOptions { Interval = monitorInterval });
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
        // Disposed last: flushes the console logger's queue.
        using var logging = LoggerFactory.Create(b => CommandSupport.AddStderr(b, LogLevel.Information));
        await using var host = new WorkerHost(options, CommandSupport.RunProgram, logging.CreateLogger("worker"));
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
