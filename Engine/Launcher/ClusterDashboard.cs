using System.CommandLine;
using System.Globalization;
using System.Net;
using Dataflow.Cluster;
using Dataflow.CommandLine;
using Dataflow.Dashboard;

namespace Dataflow.Launcher;

/// <summary>The coordinator's dashboard (<c>--ui</c> of <c>run</c> and <c>coordinator</c>): its jobs' forwarded statistics events, its registry's workers.</summary>
internal sealed class ClusterDashboard : IAsyncDisposable
{
    private readonly DashboardServer _server;
    private readonly CancellationTokenSource _stop;
    private readonly Task _statuses;

    private ClusterDashboard(DashboardServer server, Task statuses, CancellationTokenSource stop)
    {
        _server = server;
        _statuses = statuses;
        _stop = stop;
    }

    /// <summary><c>--ui [PORT]</c>: serve the dashboard (default port <see cref="DashboardOptions.DefaultPort"/>).</summary>
    public static Option<int?> UiOption() => CommandLineOptions.OptionalPort("--ui",
        $"serve the live dashboard and /metrics on this port (default {DashboardOptions.DefaultPort}; loopback unless --ui-address)", DashboardOptions.DefaultPort);

    /// <summary><c>--ui-address ADDRESS</c>: off loopback the dashboard asks for a token derived from the cluster's secret.</summary>
    public static Option<IPAddress> AddressOption() =>
        CommandSupport.Address("--ui-address", "the address the dashboard binds (default loopback; elsewhere every request needs the token printed at start)");

    /// <summary>Serves <paramref name="coordinator"/>'s dashboard on <paramref name="address"/>:<paramref name="port"/> and prints where.</summary>
    public static async Task<ClusterDashboard> StartAsync(Coordinator coordinator, IPAddress address, int port, byte[] secret)
    {
        var state = new DashboardState();
        var heartbeats = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        coordinator.HeartbeatReceived += (worker, h) =>
        {
            var metrics = h.Names.Zip(h.Values).ToDictionary(x => x.First, x => x.Second, StringComparer.Ordinal);
            lock (heartbeats) heartbeats[worker] = metrics;
        };
        coordinator.JobEventReceived += (job, entry, line) =>
        {
            try
            {
                state.Ingest(Id(job), Path.GetFileNameWithoutExtension(entry), line);
            }
            catch (System.Text.Json.JsonException)
            {
                // A line the dashboard cannot read is not the job's failure: the page misses one event.
            }
        };
        state.WorkersSource = () =>
        {
            var status = coordinator.Status();
            lock (heartbeats)
            {
                return status.Workers.Select(w => new DashboardWorker(w.Id, w.Host, w.Slots, w.Job, w.Cpu, w.MemoryBytes, w.SecondsSinceHeartbeat,
                    heartbeats.GetValueOrDefault(w.Id) ?? new Dictionary<string, double>())).ToList();
            }
        };
        DashboardServer server;
        try
        {
            server = await DashboardServer.StartAsync(state, new DashboardOptions
        {
            Address = address,
            Port = port,
            // Loopback needs no token (as Flink's and Spark's UIs); bound elsewhere, whoever holds the cluster's secret may watch it.
            Token = IPAddress.IsLoopback(address) ? null : DashboardOptions.TokenFromSecret(secret),
            }).ConfigureAwait(false);
        }
        catch
        {
            state.Dispose();
            throw;
        }
        server.Owned = state;
        Console.Error.WriteLine($"dashboard: {server.Url}");
        var stop = new CancellationTokenSource();
        return new ClusterDashboard(server, FollowStatusesAsync(coordinator, state, stop.Token), stop);
    }

    private static string Id(int job) => job.ToString(CultureInfo.InvariantCulture);

    /// <summary>Jobs' states come from the coordinator (a job that failed on a lost worker has no submitter left to say so).</summary>
    private static async Task FollowStatusesAsync(Coordinator coordinator, DashboardState state, CancellationToken token)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            do
            {
                foreach (var j in coordinator.Status().Jobs) state.SetStatus(Id(j.Job), Path.GetFileNameWithoutExtension(j.Entry), j.State, j.Workers);
            }
            while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _statuses.ConfigureAwait(false);
        await _server.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
