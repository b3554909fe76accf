using System.Globalization;
using Dataflow.Runtime.Statistics;
using Spectre.Console;

namespace Dataflow.Examples;

/// <summary>
/// Environment set-up shared by the examples: parallelism, <c>--stats</c>, and progress per superstep: a live line on a
/// terminal (<see cref="TerminalProgress"/>), a plain line per superstep when the output is redirected.
/// </summary>
internal static class ExampleRunner
{
    /// <summary>Creates the environment from the common options (with the dashboard of <c>--ui</c>); dispose what it returns at the end.</summary>
    public static async Task<(DataflowEnvironment Env, IAsyncDisposable Resources)> CreateEnvironmentAsync(ExampleSettings settings, bool progress = true)
    {
        var env = DataflowEnvironment.Create(settings.Parallelism).UseElasticity(settings.Elasticity)
            .UsePlacement(settings.Placement, settings.Predictor);
        if (settings.CheckpointInterval is int interval) env.EnableCheckpoints(interval, settings.CheckpointDir);
        if (settings.ResumeFrom is { } resume) env.ResumeFrom(resume);
        JsonStatisticsWriter? stats = null;
        if (settings.Stats is { } path)
        {
            stats = new JsonStatisticsWriter(path);
            env.AddObserver(stats);
        }
        if (progress)
        {
            var terminal = TerminalProgress.TryCreate();
            env.AddObserver(new ProgressObserver(terminal));
            env.AddObserver(new EventObserver(terminal, settings.Elasticity is not null));
        }
        Dataflow.Dashboard.DashboardServer? dashboard = null;
        if (settings.Ui is int port)
        {
            // Null in a cluster worker's copy: the submitter's copy serves it (and `dataflow run --ui` the coordinator's).
            dashboard = await Dataflow.Dashboard.DataflowDashboard.StartDashboardAsync(env, new Dataflow.Dashboard.DashboardOptions { Port = port });
            if (dashboard is not null) Console.Error.WriteLine($"dashboard: {dashboard.Url}");
        }
        return (env, new Resources(stats, dashboard));
    }

    /// <summary>The statistics file and the dashboard of a run, closed at its end.</summary>
    private sealed class Resources(IDisposable? stats, IAsyncDisposable? dashboard) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            stats?.Dispose();
            if (dashboard is not null) await dashboard.DisposeAsync();
        }
    }

    /// <summary>The edge file given by <c>--edges</c>, or a generated R-MAT graph (<c>--scale</c>, default 16) in <see cref="GeneratedInputs.Folder"/>.</summary>
    public static string EdgesOrGenerated(string? edges, int scale, ExampleSettings settings)
    {
        if (edges is not null) return edges;
        const int edgeFactor = 16, seed = 1;
        return GeneratedInputs.GetOrCreate(settings, $"rmat-scale{scale}-ef{edgeFactor}-seed{seed}.edges", $"R-MAT scale {scale} graph",
            file => RmatGenerator.WriteEdges(file, scale, edgeFactor, seed));
    }

    /// <summary>
    /// A line per rescale (and one for the workers that joined or left), checkpoint and recovery; above the live line on a
    /// terminal.
    /// </summary>
    private sealed class EventObserver(TerminalProgress? terminal, bool rescales) : IDataflowObserver
    {
        public void OnCheckpoint(CheckpointEvent c) => Write([string.Create(CultureInfo.InvariantCulture,
            $"checkpoint after superstep {c.Superstep}: {c.Bytes / 1048576.0:F1} MiB, the iteration waited {(c.Wait + c.Snapshot).TotalMilliseconds:F1} ms, written in {c.Write.TotalMilliseconds:F0} ms to {c.Folder}")]);

        public void OnRecovery(RecoveryEvent r) => Write([string.Create(CultureInfo.InvariantCulture,
            $"recovery: {r.Reason}{(r.FailedSuperstep is { } f ? $" at superstep {f}" : "")}; restored superstep {r.Superstep} at parallelism {r.Parallelism}{(r.Replacement is { } w ? $" with {w}" : "")} ({r.Bytes / 1048576.0:F1} MiB in {r.Restore.TotalMilliseconds:F0} ms); {r.Replayed} supersteps replayed")]);

        private void Write(List<string> lines)
        {
            if (terminal is not null) terminal.WriteLines(lines);
            else foreach (var line in lines) Console.WriteLine(line);
        }

        public void OnRescale(RescaleEvent r)
        {
            if (!rescales) return;
            var lines = new List<string>
            {
                string.Create(CultureInfo.InvariantCulture,
                    $"rescale after superstep {r.Superstep}: {r.From} -> {r.To} in {r.Duration.TotalMilliseconds:F1} ms ({r.Policy}: {r.Reason})"),
            };
            if (r.Joined.Count > 0 || r.Released.Count > 0)
            {
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"  workers: {r.Workers} ({(r.Joined.Count > 0 ? $"joined {string.Join(",", r.Joined)} after {r.Acquire.TotalMilliseconds:F0} ms{(r.JoinedFromStandby.Count > 0 ? $", standbys that had followed the job: {string.Join(",", r.JoinedFromStandby)}" : "")}" : "")}{(r.Joined.Count > 0 && r.Released.Count > 0 ? "; " : "")}{(r.Released.Count > 0 ? $"released {string.Join(",", r.Released)}" : "")})"));
            }
            Write(lines);
        }
    }

    /// <summary>Per superstep: the live line on a terminal, else a plain line (which tests and scripts parse: keep its format).</summary>
    private sealed class ProgressObserver(TerminalProgress? terminal) : IDataflowObserver
    {
        public void OnSuperstep(SuperstepStatistics s)
        {
            var aggs = string.Join(" ", s.Aggregators.Select(a => $"{a.Key}={Format(a.Value)}"));
            if (terminal is not null)
            {
                terminal.Show(s, aggs);
                return;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"superstep {s.Superstep,3}  {s.Duration.TotalMilliseconds,8:F1} ms  records {s.RecordsOut,10}  workset {(s.Workset?.ToString(CultureInfo.InvariantCulture) ?? "-"),8}  {aggs}"));
        }

        public void OnJobFinished(JobSummary job) => terminal?.Finish();

        private static string Format(object? v) => v switch
        {
            double d => d.ToString("G4", CultureInfo.InvariantCulture),
            _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "null",
        };
    }
}

/// <summary>
/// The live progress line on a terminal (Spectre.Console): one line, redrawn in place after every superstep with the
/// superstep, its duration, the parallelism, the workset size and the aggregators. Rescale lines are written above it;
/// when the job ends the last state stays on screen as an ordinary line, so what the program prints next (its results)
/// starts on a line of its own.
/// </summary>
internal sealed class TerminalProgress
{
    private readonly IAnsiConsole _console;
    private readonly Lock _lock = new();
    private bool _shown;

    private TerminalProgress(IAnsiConsole console) => _console = console;

    /// <summary>A live line when standard output is a terminal that understands ANSI escapes; null otherwise (plain lines).</summary>
    public static TerminalProgress? TryCreate()
    {
        if (Console.IsOutputRedirected) return null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        return console.Profile.Capabilities.Ansi ? new TerminalProgress(console) : null;
    }

    /// <summary>Redraws the line for superstep <paramref name="s"/>.</summary>
    public void Show(SuperstepStatistics s, string aggregators)
    {
        // Parts in order of importance; those that do not fit the terminal's width are left out (a wrapped line cannot be redrawn in place).
        var parts = new List<(string Plain, string Markup)>
        {
            Part($"superstep {s.Superstep}", $"[bold]superstep {s.Superstep}[/]"),
            Part($"{s.Duration.TotalMilliseconds:F1} ms", $"[yellow]{s.Duration.TotalMilliseconds:F1} ms[/]"),
            Part($"parallelism {s.Parallelism}", $"parallelism [green]{s.Parallelism}[/]"),
            Part($"workset {(s.Workset is { } w ? w.ToString("N0", CultureInfo.InvariantCulture) : "-")}",
                $"workset [blue]{(s.Workset is { } w2 ? w2.ToString("N0", CultureInfo.InvariantCulture) : "-")}[/]"),
            Part($"records {s.RecordsOut:N0}", $"[grey]records {s.RecordsOut:N0}[/]"),
        };
        if (aggregators.Length > 0) parts.Add((aggregators, $"[grey]{Markup.Escape(aggregators)}[/]"));
        int width = Math.Max(20, _console.Profile.Width - 1), used = 0;
        var shown = new List<string>();
        foreach (var (plain, markup) in parts)
        {
            int add = plain.Length + (shown.Count > 0 ? 3 : 0);
            if (used + add > width) break;
            used += add;
            shown.Add(markup);
        }
        lock (_lock)
        {
            Clear();
            _console.Markup(string.Join(" [grey]|[/] ", shown));
            _shown = true;
        }
    }

    /// <summary>Writes <paramref name="lines"/> above the live line (it is drawn again at the next superstep).</summary>
    public void WriteLines(IEnumerable<string> lines)
    {
        lock (_lock)
        {
            Clear();
            _shown = false;
            foreach (var line in lines) Console.WriteLine(line); // the same writer as the console's, unwrapped
        }
    }

    /// <summary>Ends the live line: its last state stays on screen and what follows starts on the next line.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (!_shown) return;
            Console.WriteLine();
            _shown = false;
        }
    }

    private void Clear()
    {
        if (_shown) _console.WriteAnsi("\r\u001b[2K"); // to the line's start, erase it
    }

    private static (string Plain, string Markup) Part(FormattableString plain, FormattableString markup) =>
        (plain.ToString(CultureInfo.InvariantCulture), markup.ToString(CultureInfo.InvariantCulture));
}
