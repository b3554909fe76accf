using System.Net;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Launcher;

/// <summary><c>dataflow submit</c>: runs a program on a running cluster.</summary>
internal static class SubmitCommand
{
    /// <summary><c>submit --coordinator HOST:PORT --secret-file F [--workers N] [--max-workers M] [--advertise IP] -- PROGRAM [args]</c>.</summary>
    public static async Task<int> ExecuteAsync(string[] args)
    {
        var (o, program) = Options.Parse(args, ["coordinator", "secret-file", "workers", "max-workers", "advertise"], requireProgram: true);
        var options = new SubmitOptions
        {
            Coordinator = CommandSupport.ParseEndPoint(o.Require("coordinator")),
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
            return await Submitter.RunAsync(options, CommandSupport.RunProgram, cts.Token);
        }
        catch (ClusterJobException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
