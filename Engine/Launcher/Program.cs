using System.CommandLine;
using Dataflow.Launcher;

// The `dataflow` launcher: the cluster commands and the tools of docs/architecture.md §10, on System.CommandLine.
var root = new RootCommand("dataflow: runs Dataflow programs on a cluster of worker processes, and the tools around it")
{
    RunCommand.Create(),
    CoordinatorCommand.Create(),
    WorkerCommand.Create(),
    SubmitCommand.Create(),
    StatusCommand.Create(),
    StopCommand.Create(),
    ToolCommands.PredictEvalCommand(),
    ToolCommands.ScaleOutCommand(),
};
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: dataflow <command> [options]   (dataflow --help lists the commands)");
    return 2;
}
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // A usage error: every problem named, then where to look; exit code 2 like other command-line tools.
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"error: {error.Message}");
    Console.Error.WriteLine($"see: dataflow {(parsed.CommandResult.Command == root ? "" : parsed.CommandResult.Command.Name + " ")}--help");
    return 2;
}
try
{
    // The commands handle Ctrl-C and SIGTERM themselves (a worker says goodbye, run stops its processes), and their exceptions below.
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
catch (ArgumentException e)
{
    // Checks across options that the parser cannot make (e.g. --initial-workers against --workers).
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine($"see: dataflow {parsed.CommandResult.Command.Name} --help");
    return 2;
}
catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or System.Net.Sockets.SocketException or Dataflow.Cluster.Transport.ProtocolException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
