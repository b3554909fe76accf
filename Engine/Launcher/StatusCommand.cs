using System.CommandLine;
using System.Globalization;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Launcher;

/// <summary><c>dataflow status</c>: the workers and jobs of a running cluster.</summary>
internal static class StatusCommand
{
    /// <summary><c>status --coordinator HOST:PORT --secret-file F</c>.</summary>
    public static Command Create()
    {
        var coordinator = CommandSupport.Coordinator();
        var secret = CommandSupport.SecretFile();
        var command = new Command("status", "lists the workers (slots, load, heartbeat) and jobs of a running cluster") { coordinator, secret };
        command.SetAction((r, _) => ExecuteAsync(r.GetValue(coordinator)!, r.GetValue(secret)!));
        return command;
    }

    private static async Task<int> ExecuteAsync(System.Net.IPEndPoint coordinator, string secretFile)
    {
        await using var channel = await ControlChannel.ConnectAsync(coordinator, Authentication.ReadSecret(secretFile));
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
}
