using System.Diagnostics;
using System.Globalization;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Cluster;

/// <summary>A resource provider that can say how a worker process it started ended (a signal, an exit code, the OOM killer).</summary>
public interface IWorkerExitReporter
{
    /// <summary>
    /// How the worker process that registered with <paramref name="pid"/> ended, waiting up to
    /// <paramref name="wait"/> for it to end; null when it is not one of this provider's or still runs.
    /// </summary>
    Task<string?> DescribeExitAsync(int pid, TimeSpan wait);
}

/// <summary>
/// Workers as local processes (docs/architecture.md §7): each acquired worker is a new <c>dataflow worker</c>
/// process, optionally started through a wrapper command (e.g. one that puts it under a CPU quota,
/// to emulate a slower node); releasing a worker stops its process. Everything it started is
/// stopped on dispose, also when the caller fails.
/// </summary>
public sealed class LocalProcessProvider : IResourceProvider, IWorkerExitReporter, IAsyncDisposable
{
    private readonly Func<int, ProcessStartInfo> _startInfo;
    private readonly Coordinator _coordinator;
    private readonly string _logDirectory;
    private readonly List<(WorkerInfo Info, Process Process)> _workers = new();
    private readonly SortedSet<int> _freeNumbers = new();
    private readonly Dictionary<Process, StreamWriter> _logs = new();
    private int _started;

    /// <summary>Creates the provider.</summary>
    /// <param name="coordinator">The coordinator the workers register with.</param>
    /// <param name="startInfo">The command that starts worker number n (1-based) — already including any wrapper.</param>
    /// <param name="logDirectory">Where each worker's output goes (<c>worker-n.log</c>).</param>
    public LocalProcessProvider(Coordinator coordinator, Func<int, ProcessStartInfo> startInfo, string logDirectory)
    {
        _coordinator = coordinator;
        _startInfo = startInfo;
        _logDirectory = logDirectory;
        Directory.CreateDirectory(logDirectory);
    }

    /// <summary>How long a new worker may take to register.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <inheritdoc />
    public IReadOnlyList<WorkerInfo> Workers
    {
        get
        {
            lock (_workers) return _workers.Select(w => w.Info).ToList();
        }
    }

    /// <summary>The process ids of the running workers.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_workers) return _workers.Where(w => !w.Process.HasExited).Select(w => w.Process.Id).ToList();
        }
    }

    /// <summary>The log file of worker number <paramref name="n"/>.</summary>
    public string LogOf(int n) => Path.Combine(_logDirectory, $"worker-{n.ToString(CultureInfo.InvariantCulture)}.log");

    /// <inheritdoc />
    public async Task<IReadOnlyList<WorkerInfo>> AcquireAsync(int count, CancellationToken cancellationToken)
    {
        var started = new List<(WorkerInfo, Process)>();
        for (int i = 0; i < count; i++)
        {
            // Worker numbers of released workers are used again, so that "{n}" in a wrapper stays within the first ones (e.g. one cgroup per number).
            int n;
            lock (_workers)
            {
                n = _freeNumbers.Count > 0 ? _freeNumbers.Min : ++_started;
                _freeNumbers.Remove(n);
            }
            var info = _startInfo(n);
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            info.UseShellExecute = false;
            var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
            // Appended: a worker number used again keeps the earlier worker's lines.
            var log = new StreamWriter(LogOf(n), append: true) { AutoFlush = true };
            lock (_workers) _logs[process] = log;
            process.OutputDataReceived += (_, e) => Write(log, e.Data);
            process.ErrorDataReceived += (_, e) => Write(log, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var worker = (new WorkerInfo($"process-{n}", 0), process);
            started.Add(worker);
            lock (_workers) _workers.Add(worker);
        }
        var sw = Stopwatch.StartNew();
        while (started.Count(s => _coordinator.RegisteredPids().Any(pid => IsSelfOrAncestor(s.Item2, pid))) < count)
        {
            foreach (var (info, p) in started)
            {
                if (p.HasExited)
                {
                    await p.WaitForExitAsync(cancellationToken).ConfigureAwait(false); // also waits for its output to reach the log
                    string log = LogOf(int.Parse(info.Id["process-".Length..], CultureInfo.InvariantCulture));
                    string last = "";
                    try
                    {
                        last = File.ReadLines(log).LastOrDefault(l => l.Trim().Length > 0)?.Trim() ?? "";
                    }
                    catch (IOException)
                    {
                        // No log to quote.
                    }
                    throw new InvalidOperationException($"Worker {info.Id} exited with code {p.ExitCode} before registering" +
                        (last.Length > 0 ? $" ({last})" : "") + $"; its log: {log}");
                }
            }
            if (sw.Elapsed > StartTimeout) throw new TimeoutException($"Workers did not register within {StartTimeout.TotalSeconds:F0} s (logs in {_logDirectory}).");
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return started.Select(s => s.Item1).ToList();
    }

    /// <inheritdoc />
    public async Task<string?> DescribeExitAsync(int pid, TimeSpan wait)
    {
        Process? process;
        lock (_workers) process = _workers.Select(w => w.Process).FirstOrDefault(p => SafeId(p) == pid);
        if (process is null) return null;
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            return null;
        }
        return ExitDescription.Of(process.ExitCode, pid);
    }

    private static int SafeId(Process p)
    {
        try
        {
            return p.Id;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null) return;
        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>
    /// Stops the given workers' processes: by this provider's id (<c>process-n</c>), or by the process id
    /// a worker registered with (<see cref="WorkerInfo.Pid"/>; its process or a wrapper around it).
    /// Each gets SIGTERM and a few seconds to exit, then is killed.
    /// </summary>
    public async Task ReleaseAsync(IEnumerable<WorkerInfo> workers, CancellationToken cancellationToken)
    {
        var list = workers.ToList();
        List<(WorkerInfo Info, Process Process)> stop;
        lock (_workers)
        {
            stop = _workers.Where(w => list.Any(x => x.Id == w.Info.Id || (x.Pid > 0 && IsSelfOrAncestor(w.Process, x.Pid)))).ToList();
            foreach (var w in stop) _workers.Remove(w);
        }
        await Task.WhenAll(stop.Select(async w =>
        {
            await StopAsync(w.Process, graceful: true).ConfigureAwait(false);
            // Only once the process is gone may a new worker take its number (its wrapper's cgroup, its work folder).
            lock (_workers) _freeNumbers.Add(int.Parse(w.Info.Id["process-".Length..], CultureInfo.InvariantCulture));
        })).ConfigureAwait(false);
    }

    private static bool IsSelfOrAncestor(Process process, int pid)
    {
        try
        {
            int root = process.Id;
            // Walk up from the registered pid through /proc (a wrapper that does not exec leaves the worker as its descendant).
            for (int p = pid, depth = 0; p > 1 && depth < 16; depth++)
            {
                if (p == root) return true;
                var stat = File.ReadAllText($"/proc/{p.ToString(CultureInfo.InvariantCulture)}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                p = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or FormatException or UnauthorizedAccessException)
        {
            // Gone already, or no /proc.
        }
        return false;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int SendSignal(int pid, int signal);

    private async Task StopAsync(Process p, bool graceful = false)
    {
        StreamWriter? log;
        lock (_workers)
        {
            _logs.Remove(p, out log);
        }
        try
        {
            if (graceful && !p.HasExited && OperatingSystem.IsLinux())
            {
                _ = SendSignal(p.Id, 15);
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await p.WaitForExitAsync(grace.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Did not exit in time: killed below.
                }
            }
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await p.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            // Already gone.
        }
        finally
        {
            p.Dispose();
            if (log is not null)
            {
                lock (log) log.Dispose();
            }
        }
    }

    /// <summary>Stops every worker process it started.</summary>
    public async ValueTask DisposeAsync()
    {
        List<(WorkerInfo Info, Process Process)> all;
        lock (_workers)
        {
            all = _workers.ToList();
            _workers.Clear();
        }
        await Task.WhenAll(all.Select(w => StopAsync(w.Process))).ConfigureAwait(false);
    }
}
