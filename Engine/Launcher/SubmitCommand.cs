using System.CommandLine;
using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;
using Dataflow.CommandLine;

namespace Dataflow.Launcher;

/// <summary><c>dataflow submit</c>: runs a program on a running cluster.</summary>
internal static class SubmitCommand
{
    /// <summary><c>submit --coordinator HOST:PORT --secret-file F [--workers N] [--max-workers M] [--advertise IP] -- PROGRAM [args]</c>.</summary>
    public static Command Create()
    {
        var coordinator = CommandSupport.Coordinator();
        var secret = CommandSupport.SecretFile();
        var workers = CommandLineOptions.Int("--workers", "workers to run on (0: every free one)", 0, 0);
        var maxWorkers = CommandLineOptions.Int("--max-workers", "with M > 0 the job takes more free workers (up to M) when it scales out and returns idle ones to the pool", 0, 0);
        var advertise = CommandSupport.Address("--advertise", "the address the workers reach this process at");
        var program = CommandSupport.Program();
        var command = new Command("submit", "runs a program on a running cluster") { coordinator, secret, workers, maxWorkers, advertise, program };
        command.SetAction((r, _) => ExecuteAsync(new SubmitOptions
        {
            Coordinator = r.GetValue(coordinator)!,
            Secret = Authentication.ReadSecret(r.GetValue(secret)!),
            Program = ProgramResolver.Resolve(r.GetValue(program)![0]),
            Args = r.GetValue(program)![1..],
            Workers = r.GetValue(workers),
            MaxWorkers = r.GetValue(maxWorkers),
            Advertise = r.GetValue(advertise)!,
        }));
        return command;
    }

    private static async Task<int> ExecuteAsync(SubmitOptions options)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            return await Submitter.RunAsync(options, CommandSupport.RunProgram, cts.Token);
        }
        catch (ClusterJobException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
