using System.CommandLine;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Launcher;

/// <summary><c>dataflow stop</c>: ends a standalone cluster — its running jobs fail, its workers and the coordinator exit.</summary>
internal static class StopCommand
{
    /// <summary><c>stop --coordinator HOST:PORT --secret-file F</c>.</summary>
    public static Command Create()
    {
        var coordinator = CommandSupport.Coordinator();
        var secret = CommandSupport.SecretFile();
        var command = new Command("stop", "stops a standalone cluster: running jobs fail, the workers and the coordinator exit") { coordinator, secret };
        command.SetAction((r, _) => ExecuteAsync(r.GetValue(coordinator)!, r.GetValue(secret)!));
        return command;
    }

    private static async Task<int> ExecuteAsync(System.Net.IPEndPoint coordinator, string secretFile)
    {
        await using var channel = await ControlChannel.ConnectAsync(coordinator, Authentication.ReadSecret(secretFile));
        await channel.SendAsync(new StopCluster($"dataflow stop from {Environment.MachineName}, pid {Environment.ProcessId}"));
        if (await channel.ReceiveAsync() is not StatusReply stopped) throw new IOException("The coordinator did not confirm the stop.");
        int running = stopped.Jobs.Count(j => j.State == "running");
        Console.WriteLine($"stopped: the coordinator, {stopped.Workers.Length} worker(s){(running > 0 ? $", {running} running job(s) failed" : "")}");
        return 0;
    }
}
