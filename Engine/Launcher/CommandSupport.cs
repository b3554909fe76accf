using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using Dataflow.Cluster;
using Dataflow.CommandLine;
using Dataflow.Scheduling.Monitoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dataflow.Launcher;

/// <summary>What the cluster commands share: the coordinator's services, option values, endpoints, clean-up.</summary>
internal static class CommandSupport
{
    /// <summary>Runs a job's program in this process (the submitter's or a worker's copy).</summary>
    public static Task<int> RunProgram(string directory, string entry, string[] args, ClusterSession session) =>
        ProgramLoader.RunAsync(Path.Combine(directory, entry), args, session);

    /// <summary>The coordinator's services: the coordinator itself, the placement service, and what <paramref name="configure"/> adds.</summary>
    internal static ServiceProvider CoordinatorServices(CoordinatorOptions options, LogLevel level, Action<IClusterBuilder>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b => AddStderr(b, level));
        var cluster = services.AddDataflowCluster(options);
        configure?.Invoke(cluster);
        return services.BuildServiceProvider();
    }

    /// <summary>One line per message on standard error (Microsoft.Extensions.Logging.Console): the program's own output stays on stdout.</summary>
    internal static ILoggingBuilder AddStderr(ILoggingBuilder builder, LogLevel level) => builder.SetMinimumLevel(level)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);

    /// <summary><c>--standbys follow|cold</c> (default follow): whether free workers follow the jobs that may acquire them (<see cref="CoordinatorOptions.StandbysFollow"/>).</summary>
    internal static Option<string> Standbys() =>
        CommandLineOptions.OneOf(new Option<string>("--standbys") { Description = "follow: free workers follow the jobs that may take them (replaying them, so taking one is a change of roster); cold: they wait idle", DefaultValueFactory = _ => "follow" },
            "follow", "cold");

    /// <summary><c>--secret-file F</c>: the cluster's shared secret (mode 0600).</summary>
    internal static Option<string> SecretFile(bool required = true) =>
        new("--secret-file") { Description = "the cluster's shared secret (16+ characters, readable by its owner only)", Required = required };

    /// <summary><c>--coordinator HOST:PORT</c>.</summary>
    internal static Option<IPEndPoint> Coordinator() => EndPoint("--coordinator", "the coordinator's address");

    /// <summary>An option whose value is HOST:PORT, parsed (a bad one is a usage error naming the option).</summary>
    internal static Option<IPEndPoint> EndPoint(string name, string description) => new(name)
    {
        Description = description + " (HOST:PORT)",
        Required = true,
        CustomParser = result =>
        {
            try
            {
                return ParseEndPoint(result.Tokens.Single().Value);
            }
            catch (ArgumentException e)
            {
                result.AddError($"{name}: {e.Message}");
                return null;
            }
        },
    };

    /// <summary>An IP address option (loopback unless given); a bad one is a usage error naming the option.</summary>
    internal static Option<IPAddress> Address(string name, string description) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => IPAddress.Loopback,
        CustomParser = result =>
        {
            if (IPAddress.TryParse(result.Tokens.Single().Value, out var address)) return address;
            result.AddError($"{name} expects an IP address, got '{result.Tokens.Single().Value}'");
            return null;
        },
    };

    /// <summary>
    /// The program and its own arguments, after <c>--</c>: everything there is the program's. A token
    /// before <c>--</c> that looks like an option is one this command does not know.
    /// </summary>
    internal static Argument<string[]> Program()
    {
        var program = new Argument<string[]>("program") { Description = "-- <examples/Name | project folder | .csproj | Job.dll> [the program's arguments]", Arity = ArgumentArity.OneOrMore };
        program.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && r.Tokens[0].Value.StartsWith('-')) r.AddError($"unknown option '{r.Tokens[0].Value}'");
        });
        return program;
    }

    /// <summary>Records every worker heartbeat's metrics into a trace file (for <c>predict-eval</c>); null when no path is given.</summary>
    internal static TraceWriter? RecordTrace(Coordinator coordinator, string? path)
    {
        if (path is null) return null;
        var writer = new TraceWriter(path);
        var start = Stopwatch.GetTimestamp();
        coordinator.HeartbeatReceived += (worker, h) =>
        {
            long ms = (long)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            lock (writer)
            {
                for (int i = 0; i < h.Names.Length && i < h.Values.Length; i++)
                {
                    if (double.IsFinite(h.Values[i])) writer.Write(new TracePoint(ms, worker, h.Names[i], h.Values[i]));
                }
            }
        };
        return writer;
    }

    /// <summary>Turns SIGTERM into a cancellation of <paramref name="cts"/> instead of an immediate exit.</summary>
    internal static System.Runtime.InteropServices.PosixSignalRegistration CancelOnSigterm(CancellationTokenSource cts) =>
        System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            CancelQuietly(cts);
        });

    /// <summary>Cancels; at a normal exit the source may already be disposed.</summary>
    internal static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    internal static IPEndPoint ParseEndPoint(string s)
    {
        int colon = s.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(s[(colon + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
        {
            throw new ArgumentException($"expected HOST:PORT, got '{s}'");
        }
        var host = s[..colon];
        if (!IPAddress.TryParse(host, out var address))
        {
            address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new ArgumentException($"cannot resolve host '{host}'");
        }
        return new IPEndPoint(address, port);
    }

    internal static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Finds the entry assembly of a program given as a .dll, a project file or a project folder (built in Release).</summary>
internal static class ProgramResolver
{
    public static string Resolve(string program)
    {
        if (program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : throw new ArgumentException($"program not found: {program}");
        }
        string project = program.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) ? program
            : Directory.Exists(program) ? Directory.EnumerateFiles(program, "*.csproj").FirstOrDefault() ?? throw new ArgumentException($"no .csproj in {program}")
            : throw new ArgumentException($"program not found: {program} (give a .dll, a .csproj or a project folder)");
        project = Path.GetFullPath(project);
        var name = XDocument.Load(project).Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);
        var dll = Path.Combine(Path.GetDirectoryName(project)!, "bin", "Release", "net10.0", name + ".dll");
        if (!File.Exists(dll) || NewestSource(Path.GetDirectoryName(project)!) > File.GetLastWriteTimeUtc(dll))
        {
            var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "q"]) { RedirectStandardOutput = true })!;
            var output = build.StandardOutput.ReadToEnd();
            build.WaitForExit();
            if (build.ExitCode != 0) throw new InvalidOperationException($"building {project} failed:\n{output}");
        }
        return dll;
    }

    private static DateTime NewestSource(string dir) =>
        Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
}
