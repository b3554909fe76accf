using System.Globalization;
using Dataflow.Elasticity.ScaleOut;
using Dataflow.Launcher;

// The `dataflow` launcher: the cluster commands and the tools of docs/architecture.md §10.
const string Usage = """
    usage: dataflow <command> [options]

    commands:
      run --workers N [--initial-workers K] [--max-workers M] [--slots S] [--standbys follow|cold] [--worker-wrapper CMD] [--secret-file F] [--trace F] -- <examples/Name | Job.dll> [job args]
               starts a coordinator and N worker processes on this machine, runs the program on
               them (its output, files and statistics appear here) and stops every process again;
               with --initial-workers the job starts on K of them and takes the others (warm
               standbys) when an elastic iteration scales out; with --max-workers M it may start
               more worker processes, up to M in the job, and stops those beyond N it releases;
               standbys follow the job as it runs (replaying it, running nothing) so that taking
               one is a change of roster; --standbys cold: they wait idle and replay on joining;
               --worker-wrapper prefixes each worker's command ("{n}" = the worker's number)
      coordinator --listen HOST:PORT --secret-file F [--heartbeat-timeout-ms T] [--cache-dir D] [--standbys follow|cold] [--trace F]
               runs a coordinator until stopped
      worker --coordinator HOST:PORT --secret-file F [--slots S] [--advertise IP] [--data-port P] [--work-dir D] [--monitor-ms M] [--reconnect-timeout SECONDS]
               runs a worker that offers S slots to the coordinator; it waits for a coordinator that
               is not up yet or was lost, and registers again with a restarted one, for up to
               --reconnect-timeout seconds (default 300; 0: exit when the coordinator is lost)
      submit --coordinator HOST:PORT --secret-file F [--workers N] [--max-workers M] [--advertise IP] -- <Job.dll | project> [job args]
               runs a program on a running cluster (N workers; default all free ones); with
               --max-workers the job takes more free workers when it scales out and returns
               idle ones to the pool
      status --coordinator HOST:PORT --secret-file F
               lists the workers (slots, load, heartbeat) and jobs
      stop --coordinator HOST:PORT --secret-file F
               stops a standalone cluster: running jobs fail, the workers and the coordinator exit
      predict-eval --trace F --model arima|slidhmm|last [--horizon H] [--threshold 0.9] [--window N] ...
               replays a metric trace (recorded with `run --trace F` or `coordinator --trace F`)
               and prints hit rate, recall and mean absolute error of the predictions per metric
      scaleout --history F.csv --target-ms T --min A --max B
               the allocation assistant for recurring jobs: from earlier runs (CSV: header, then
               scale-out,runtime-ms rows) picks the smallest scale-out in [A, B] predicted to finish
               under T ms (Bell inside the observed range, Ernest outside) and prints it with the
               predicted runtime
    """;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(Usage);
    return args.Length == 0 ? 2 : 0;
}
try
{
    return args[0] switch
    {
        "scaleout" => ScaleOut(args[1..]),
        "run" => await RunCommand.ExecuteAsync(args[1..]),
        "coordinator" => await CoordinatorCommand.ExecuteAsync(args[1..]),
        "worker" => await WorkerCommand.ExecuteAsync(args[1..]),
        "submit" => await SubmitCommand.ExecuteAsync(args[1..]),
        "status" => await StatusCommand.ExecuteAsync(args[1..]),
        "stop" => await StopCommand.ExecuteAsync(args[1..]),
        "predict-eval" => Dataflow.Scheduling.Evaluation.PredictEval.Run(args[1..], Console.Out, Console.Error),
        _ => throw new ArgumentException($"unknown command '{args[0]}'"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or System.Net.Sockets.SocketException or Dataflow.Cluster.Transport.ProtocolException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}

static int ScaleOut(string[] args)
{
    var o = ParseOptions(args, "history", "target-ms", "min", "max");
    var (x, y) = ScaleOutAssistant.ReadHistory(o["history"]);
    int min = Int(o, "min"), max = Int(o, "max");
    double target = double.Parse(o["target-ms"], NumberStyles.Float, CultureInfo.InvariantCulture);
    var r = ScaleOutAssistant.Recommend(x, y, min, max, target);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"scale-out {r.ScaleOut}, predicted runtime {Math.Round(r.PredictedRuntime)} ms{(r.MeetsTarget ? "" : $" (no scale-out in {min}..{max} is predicted under {target} ms; this is the fastest)")}"));
    return 0;
}

static Dictionary<string, string> ParseOptions(string[] args, params string[] required)
{
    var o = new Dictionary<string, string>();
    for (int i = 0; i < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || !required.Contains(args[i][2..])) throw new ArgumentException($"unknown option '{args[i]}'");
        if (i + 1 >= args.Length) throw new ArgumentException($"option '{args[i]}' needs a value");
        o[args[i][2..]] = args[i + 1];
    }
    foreach (var r in required)
    {
        if (!o.ContainsKey(r)) throw new ArgumentException($"missing --{r}");
    }
    return o;
}

static int Int(Dictionary<string, string> o, string name) =>
    int.TryParse(o[name], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw new ArgumentException($"--{name} expects an integer, got '{o[name]}'");
