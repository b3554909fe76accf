using System.CommandLine;
using System.CommandLine.Help;
using Dataflow.CommandLine;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Examples;

/// <summary>What every example takes from its command line: the common options, bound (<see cref="ExampleCommand"/> declares them).</summary>
/// <param name="Parallelism"><c>--parallelism P</c>, or null for the environment's default.</param>
/// <param name="Stats"><c>--stats F</c>: the statistics file (JSON lines), or null.</param>
/// <param name="Output"><c>--output F</c>: where the result goes, or null to print a summary.</param>
/// <param name="Placement"><c>--placement NAME</c>: the placement policy of a cluster run, or null.</param>
/// <param name="Predictor"><c>--predictor arima|slidhmm</c>, or null.</param>
/// <param name="DataDir"><c>--data-dir DIR</c>: where generated inputs are kept, or null for the per-user cache folder.</param>
/// <param name="Elasticity"><c>--elasticity POLICY</c> and its options, built; null for none.</param>
/// <param name="Ui"><c>--ui [PORT]</c>: the port of the live dashboard, or null for none.</param>
internal sealed record ExampleSettings(int? Parallelism, string? Stats, string? Output, string? Placement, string? Predictor, string? DataDir,
    IElasticityPolicy? Elasticity, int? Ui = null)
{
    /// <summary><c>--checkpoint-interval N</c>: supersteps between checkpoints of the iterations' state, or null for none.</summary>
    public int? CheckpointInterval { get; init; }

    /// <summary><c>--checkpoint-dir DIR</c>: where checkpoints go, or null for <c>./checkpoints</c>.</summary>
    public string? CheckpointDir { get; init; }

    /// <summary><c>--resume-from DIR</c>: the checkpoints an earlier run left, to go on from; or null.</summary>
    public string? ResumeFrom { get; init; }
}

/// <summary>
/// An example's command line on System.CommandLine: the options every example shares (declared once, here, and bound
/// into <see cref="ExampleSettings"/>) and the example's own. <c>--help</c> describes them and exits 0; an unknown
/// option or an invalid value exits 2 with a message naming it; a job error exits 1; Ctrl-C exits 130.
/// </summary>
internal sealed class ExampleCommand
{
    private readonly Command _command;
    private readonly Option<int?> _parallelism = CommandLineOptions.OptionalInt("--parallelism", "subtasks per operator (default: the cores here; under dataflow run/submit, the job's slots)", minimum: 1);
    private readonly Option<string> _stats = new("--stats") { Description = "writes the statistics of every superstep, task and job to this file (JSON lines)", HelpName = "FILE" };
    private readonly Option<string> _output;
    private readonly Option<string> _placement = new("--placement") { Description = "the placement policy of a cluster run: locality or bottleneck-aware (default locality)", HelpName = "POLICY" };
    private readonly Option<string> _predictor = CommandLineOptions.OneOf(new Option<string>("--predictor") { Description = "the load predictor of bottleneck-aware placement" }, "arima", "slidhmm");
    private readonly Option<string> _dataDir = new("--data-dir") { Description = "where generated inputs are kept (default: the per-user cache folder, ~/.cache/dataflow/inputs)", HelpName = "DIR" };
    private readonly Option<int?> _ui = CommandLineOptions.OptionalPort("--ui",
        $"serves a live dashboard of the run and /metrics on this loopback port while it runs (default {Dataflow.Dashboard.DashboardOptions.DefaultPort})", Dataflow.Dashboard.DashboardOptions.DefaultPort);
    private readonly Option<int?> _checkpointInterval = CommandLineOptions.OptionalInt("--checkpoint-interval",
        "checkpoints the iterations' state after every N-th superstep (docs/checkpoints.md)", minimum: 1);
    private readonly Option<string> _checkpointDir = new("--checkpoint-dir")
    {
        Description = "where checkpoints go, a folder per run (default: checkpoints under the working directory)", HelpName = "DIR",
    };
    private readonly Option<string> _resumeFrom = new("--resume-from")
    {
        Description = "goes on from the last complete checkpoint of an earlier run: its job folder, or a checkpoint directory (its newest run)", HelpName = "DIR",
    };
    private readonly ElasticityOptions _elasticity = new();

    /// <summary>An example's command: <paramref name="options"/> are its own, then the common ones.</summary>
    /// <param name="name">The program's name, for the help text.</param>
    /// <param name="description">What it does, for the help text.</param>
    /// <param name="output">What <c>--output</c> writes.</param>
    /// <param name="options">The example's own options.</param>
    public ExampleCommand(string name, string description, string output, params Option[] options)
    {
        _output = new Option<string>("--output") { Description = output, HelpName = "FILE" };
        _command = new Command(name, description) { new HelpOption() };
        foreach (var o in options) _command.Options.Add(o);
        foreach (var o in new Option[] { _parallelism, _stats, _output, _placement, _predictor, _dataDir, _ui, _checkpointInterval, _checkpointDir, _resumeFrom }) _command.Options.Add(o);
        _elasticity.AddTo(_command);
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs <paramref name="body"/> with the parse result (for the example's own options)
    /// and the common settings; returns the exit code.
    /// </summary>
    public async Task<int> RunAsync(string[] args, Func<ParseResult, ExampleSettings, CancellationToken, Task> body)
    {
        var parsed = _command.Parse(args);
        if (parsed.Errors.Count > 0) return CommandLineOptions.ReportUsageErrors(parsed, Console.Error);
        if (parsed.Action is not null) return await parsed.InvokeAsync(); // --help
        if (!_elasticity.TryCreatePolicy(parsed, out var policy, out var error)) return CommandLineOptions.ReportUsageError(parsed, Console.Error, error);
        if (parsed.GetValue(_checkpointDir) is not null && parsed.GetValue(_checkpointInterval) is null)
        {
            return CommandLineOptions.ReportUsageError(parsed, Console.Error, "--checkpoint-dir needs --checkpoint-interval");
        }
        var settings = new ExampleSettings(parsed.GetValue(_parallelism), parsed.GetValue(_stats), parsed.GetValue(_output), parsed.GetValue(_placement),
            parsed.GetValue(_predictor), parsed.GetValue(_dataDir), policy, parsed.GetValue(_ui))
        {
            CheckpointInterval = parsed.GetValue(_checkpointInterval),
            CheckpointDir = parsed.GetValue(_checkpointDir),
            ResumeFrom = parsed.GetValue(_resumeFrom),
        };
        return await RunAsync(ct => body(parsed, settings, ct));
    }

    /// <summary>Runs <paramref name="body"/>, turning errors into a message on stderr and exit code 1 (2 for usage errors, 130 when cancelled).</summary>
    private static async Task<int> RunAsync(Func<CancellationToken, Task> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            await body(cts.Token);
            return 0;
        }
        catch (ArgumentException e)
        {
            // Checks across options that the parser cannot make (e.g. --points without --centroids).
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        // FormatException covers InputFormatException (path:line); InvalidDataException is input that is wrong as a whole (no rows, mismatched files).
        // IOException covers missing files and folders, and checkpoints that cannot be written.
        catch (Exception e) when (e is Dataflow.JobExecutionException or Dataflow.ClusterJobException or IOException or FormatException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}

/// <summary>Options two or more examples share with the same meaning.</summary>
internal static class SharedOptions
{
    /// <summary><c>--skip-invalid</c>: skip (and count) input lines that do not parse instead of failing on the first.</summary>
    public static Option<bool> SkipInvalid() => new("--skip-invalid") { Description = "skips (and counts) invalid input lines instead of failing with path:line" };

    /// <summary><c>--edges F</c>: the graph's edges (text: two ids per line; .parquet: int64 columns src and dst).</summary>
    public static Option<string> Edges() =>
        new("--edges")
        {
            Description = "the graph's edges: text, two non-negative integer ids per line ('#' comments), or .parquet with int64 columns src and dst (default: a generated R-MAT graph)",
            HelpName = "FILE",
        };

    /// <summary><c>--scale S</c>: the generated R-MAT graph has 2^S vertices.</summary>
    public static Option<int> Scale() => CommandLineOptions.Int("--scale", "without --edges: the generated R-MAT graph has 2^S vertices and 16 edges per vertex", 16, 1);
}
