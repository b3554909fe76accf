using System.Diagnostics;
using System.Globalization;

namespace Dataflow.Cluster.Tests;

/// <summary>Paths of the repository's built programs and of the shared reference data; running them as processes.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Dataflow.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Dataflow.sln not found above {AppContext.BaseDirectory}");
    }

    public static string Launcher => System.IO.Path.Combine(Root, "Engine", "Launcher", "bin", "Release", "net10.0", "dataflow.dll");

    public static string Example(string name) => System.IO.Path.Combine(Root, "examples", name, "bin", "Release", "net10.0", name + ".dll");

    /// <summary>A program of <c>tests/Programs</c> that tests run as a process.</summary>
    public static string TestProgram(string name) => System.IO.Path.Combine(Root, "tests", "Programs", name, "bin", "Release", "net10.0", name + ".dll");

    /// <summary>A file of the reference data in <c>tests/data</c> (see <c>tests/data/README.md</c>).</summary>
    public static string TestData(string name)
    {
        var path = System.IO.Path.Combine(Root, "tests", "data", name);
        if (!File.Exists(path)) throw new FileNotFoundException($"Reference data file not found: expected {path}", path);
        return path;
    }

    /// <summary>How a test's resource provider starts worker process <c>n</c>: <c>dataflow worker</c> registering with <paramref name="coordinator"/>.</summary>
    public static ProcessStartInfo WorkerProcess(string coordinator, int slots, string secretFile, string workDir)
    {
        var psi = new ProcessStartInfo("dotnet");
        foreach (var a in new[] { Launcher, "worker", "--coordinator", coordinator, "--slots", slots.ToString(CultureInfo.InvariantCulture), "--secret-file", secretFile, "--work-dir", workDir })
        {
            psi.ArgumentList.Add(a);
        }
        return psi;
    }

    /// <summary>A process running <c>dotnet</c> with the given arguments; output collected; killed (whole tree) on dispose.</summary>
    public sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly System.Text.StringBuilder _out = new();
        private readonly System.Text.StringBuilder _err = new();

        public Child(params string[] args)
            : this(null, args)
        {
        }

        /// <summary>With extra environment variables.</summary>
        public Child(IReadOnlyDictionary<string, string>? environment, params string[] args)
            : this("dotnet", environment, args)
        {
        }

        /// <summary>A program other than <c>dotnet</c> (an installed .NET tool's command, say).</summary>
        public Child(string program, IReadOnlyDictionary<string, string>? environment, string[] args)
        {
            var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
            _process = Process.Start(psi)!;
            _process.OutputDataReceived += (_, e) => Append(_out, e.Data);
            _process.ErrorDataReceived += (_, e) => Append(_err, e.Data);
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        private static void Append(System.Text.StringBuilder sb, string? line)
        {
            if (line is null) return;
            lock (sb) sb.AppendLine(line);
        }

        public int Id => _process.Id;

        public string Out
        {
            get
            {
                lock (_out) return _out.ToString();
            }
        }

        public string Err
        {
            get
            {
                lock (_err) return _err.ToString();
            }
        }

        public bool HasExited => _process.HasExited;

        public int Wait(TimeSpan timeout)
        {
            if (!_process.WaitForExit(timeout))
            {
                _process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{_process.StartInfo.FileName} {string.Join(' ', _process.StartInfo.ArgumentList)} did not end within {timeout.TotalSeconds:F0} s.\nstdout:\n{Out}\nstderr:\n{Err}");
            }
            _process.WaitForExit(); // flush the output readers
            return _process.ExitCode;
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }
    }

    public static (int Exit, string Out, string Err) Run(TimeSpan timeout, params string[] args) => Run(timeout, null, args);

    public static (int Exit, string Out, string Err) Run(TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunProgram("dotnet", timeout, environment, args);

    /// <summary>Runs <paramref name="program"/> (not <c>dotnet</c>) to its end, killed after <paramref name="timeout"/> (a hang guard).</summary>
    public static (int Exit, string Out, string Err) RunProgram(string program, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var child = new Child(program, environment, args);
        int exit = child.Wait(timeout);
        return (exit, child.Out, child.Err);
    }

    public static Dictionary<long, double> ReadTsvDoubles(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t'))
            .ToDictionary(f => long.Parse(f[0], CultureInfo.InvariantCulture), f => double.Parse(f[1], CultureInfo.InvariantCulture));

    public static double[][] ReadCsv(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0)
            .Select(l => l.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray()).ToArray();

    /// <summary>Processes whose command line contains <paramref name="marker"/> (Linux /proc).</summary>
    public static List<int> ProcessesWith(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var cmd = File.ReadAllText(System.IO.Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmd.Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return found;
    }

    /// <summary>A port that was free a moment ago (for a process that must listen on a known port).</summary>
    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Waits until something accepts connections at <paramref name="endPoint"/> (a hang guard of a minute), failing if <paramref name="process"/> exits first.</summary>
    public static async Task WaitListening(System.Net.IPEndPoint endPoint, Child process)
    {
        for (int i = 0; i < 600; i++)
        {
            Assert.False(process.HasExited, process.Err);
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(endPoint);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(100);
            }
        }
        Assert.Fail($"nothing listens at {endPoint}");
    }

    /// <summary>The peak resident memory of a process so far (VmHWM).</summary>
    public static long PeakResidentBytes(int pid)
    {
        var line = File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
