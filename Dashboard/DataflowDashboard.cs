using System.Reflection;

namespace Dataflow.Dashboard;

/// <summary>The dashboard of an embedded run (<c>--ui</c> in the examples).</summary>
public static class DataflowDashboard
{
    /// <summary>
    /// Serves a live dashboard of this environment's jobs until the returned server is disposed; null in a
    /// cluster worker's copy of the program (the submitter's copy and the coordinator have the events).
    /// </summary>
    /// <param name="env">The environment whose supersteps, rescales and placements it shows.</param>
    /// <param name="options">Where it listens.</param>
    /// <param name="name">The program's name on the page (default: the entry assembly's).</param>
    public static async Task<DashboardServer?> StartDashboardAsync(this DataflowEnvironment env, DashboardOptions options, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.Mode == "worker") return null;
        var state = new DashboardState();
        DashboardServer server;
        try
        {
            server = await DashboardServer.StartAsync(state, options).ConfigureAwait(false);
        }
        catch
        {
            state.Dispose();
            throw;
        }
        server.Owned = state;
        env.AddObserver(new Observer(state, name ?? Assembly.GetEntryAssembly()?.GetName().Name ?? "program"));
        return server;
    }

    /// <summary>Feeds a <see cref="DashboardState"/> the environment's events in the <c>--stats</c> format.</summary>
    private sealed class Observer : IDataflowObserver
    {
        private const string Job = "local";
        private readonly DashboardState _state;
        private readonly string _name;
        private readonly JsonStatisticsWriter _lines;

        public Observer(DashboardState state, string name)
        {
            _state = state;
            _name = name;
            _lines = new JsonStatisticsWriter(line => state.Ingest(Job, name, line));
            state.SetStatus(Job, name, "running", ["local"]);
        }

        public void OnSuperstep(SuperstepStatistics superstep) => _lines.OnSuperstep(superstep);

        public void OnRescale(RescaleEvent rescale) => _lines.OnRescale(rescale);

        public void OnPlacement(PlacementRecord placement) => _lines.OnPlacement(placement);

        public void OnJobFinished(JobSummary job)
        {
            _lines.OnJobFinished(job);
            _state.SetStatus(Job, _name, job.Status);
        }
    }
}
