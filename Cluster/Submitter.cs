using System.Net;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>What to submit, and where.</summary>
public sealed class SubmitOptions
{
    /// <summary>The coordinator's address.</summary>
    public IPEndPoint Coordinator { get; set; } = new(IPAddress.Loopback, 7077);

    /// <summary>The cluster's shared secret.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>The program's entry assembly; every file in its folder is shipped.</summary>
    public string Program { get; set; } = "";

    /// <summary>The program's arguments.</summary>
    public string[] Args { get; set; } = [];

    /// <summary>Workers to run on (0: every free worker).</summary>
    public int Workers { get; set; }

    /// <summary>
    /// The most workers the job may hold (0: it keeps the ones it started with). With a maximum, the
    /// job acquires workers when an iteration scales out beyond its workers' slots and releases those
    /// a scale-in leaves idle.
    /// </summary>
    public int MaxWorkers { get; set; }

    /// <summary>The address workers reach this process's data plane at (results flow back to it).</summary>
    public IPAddress Advertise { get; set; } = IPAddress.Loopback;
}

/// <summary>
/// The submitting side of a cluster job: ships the program's files to the coordinator, waits for
/// workers, then runs the program here as participant 0 — the copy whose results, output files and
/// statistics the user sees.
/// </summary>
public static class Submitter
{
    /// <summary>Runs the program on the cluster; returns its exit code.</summary>
    /// <exception cref="ClusterJobException">The coordinator refused the job (for example, no free workers).</exception>
    public static async Task<int> RunAsync(SubmitOptions options, ProgramRunner runner, CancellationToken cancellationToken)
    {
        var program = Path.GetFullPath(options.Program);
        if (!File.Exists(program)) throw new FileNotFoundException($"Program not found: {program}", program);
        var directory = Path.GetDirectoryName(program)!;
        var manifest = FileStore.Manifest(directory);
        await using var data = new DataPlane(new IPEndPoint(options.Advertise, 0), options.Secret);
        data.Start();
        await using var channel = await ControlChannel.ConnectAsync(options.Coordinator, options.Secret, cancellationToken).ConfigureAwait(false);
        await channel.SendAsync(new SubmitJob(Path.GetFileName(program), options.Args, manifest, options.Workers, options.Advertise.ToString(), data.EndPoint.Port,
            options.MaxWorkers),
            cancellationToken).ConfigureAwait(false);
        StartJob? start = null;
        while (start is null)
        {
            var m = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false) ?? throw new IOException("The coordinator closed the connection.");
            switch (m)
            {
                case NeedFiles need:
                    foreach (var hash in need.Hashes)
                    {
                        var file = manifest.First(f => f.Hash == hash);
                        await foreach (var chunk in FileStore.ReadFileAsync(Path.Combine(directory, file.Path), hash, cancellationToken).ConfigureAwait(false))
                        {
                            await channel.SendAsync(chunk, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    break;
                case StartJob s:
                    start = s;
                    break;
                case JobFailed f:
                    throw new ClusterJobException(f.Message);
                default:
                    throw new ProtocolException($"Unexpected {m.GetType().Name} before the job started.");
            }
        }
        var session = new ClusterSession(start, channel, data);
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await channel.ReceiveAsync().ConfigureAwait(false) is { } m) session.Deliver(m);
                session.Fail("The coordinator closed the connection.");
            }
            catch (Exception e) when (e is IOException or ProtocolException or ObjectDisposedException or InvalidOperationException)
            {
                session.Fail($"Lost the coordinator: {e.Message}");
            }
        }, CancellationToken.None);
        using var cancel = cancellationToken.Register(() => session.Fail("The job was cancelled."));
        // The coordinator judges the submitter alive by these, as it does workers: a stopped submitter must not hold its workers.
        using var stopBeating = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(channel, stopBeating.Token);
        int code = 1;
        string? error = null;
        try
        {
            code = await runner(directory, start.Entry, options.Args, session).ConfigureAwait(false);
            return code;
        }
        catch (Exception e)
        {
            error = e.Message;
            throw;
        }
        finally
        {
            session.Detach();
            await stopBeating.CancelAsync().ConfigureAwait(false);
            await heartbeats.ConfigureAwait(false);
            await channel.TrySendAsync(new ProgramEnded(start.Job, code, error)).ConfigureAwait(false);
            await channel.DisposeAsync().ConfigureAwait(false);
            try
            {
                await reader.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The reader only ends the session.
            }
        }
    }

    /// <summary>How often the submitter tells the coordinator it is alive while its program runs.</summary>
    public static TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    private static async Task HeartbeatAsync(ControlChannel channel, CancellationToken token)
    {
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(HeartbeatInterval, token).ConfigureAwait(false);
                process.Refresh();
                await channel.SendAsync(new Heartbeat(0, process.WorkingSet64, [], []), token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // Stopped, or the connection is gone (the reader reports that).
        }
    }
}
