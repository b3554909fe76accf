using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Dataflow.Dashboard;

namespace Dataflow.Cluster.Tests;

/// <summary>The dashboard of an embedded run: its JSON API, its Prometheus metrics, and its token.</summary>
public sealed class DashboardTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>A bulk iteration that halves values, with a sum aggregator, and records what its observer saw.</summary>
    private static async Task<List<SuperstepStatistics>> RunHalvingAsync(DataflowEnvironment env, int supersteps)
    {
        var seen = new Recorder();
        env.AddObserver(seen);
        var result = await env.FromCollection(Enumerable.Range(1, 1_000).Select(i => (double)i).ToList()).IterateBulk(supersteps, (xs, ctx) =>
        {
            var total = ctx.Sum("total");
            return xs.Select(x =>
            {
                total.Add(x / 2);
                return x / 2;
            });
        }).CollectAsync();
        Assert.Equal(1_000, result.Count);
        return seen.Supersteps;
    }

    private sealed class Recorder : IDataflowObserver
    {
        public List<SuperstepStatistics> Supersteps { get; } = new();

        public void OnSuperstep(SuperstepStatistics superstep) => Supersteps.Add(superstep);
    }

    private static async Task<JsonNode> GetJsonAsync(Uri uri) => JsonNode.Parse(await Http.GetStringAsync(uri))!;

    /// <summary>The value of every sample of <paramref name="metric"/> in Prometheus text, summed over its labels.</summary>
    internal static double Sample(string prometheus, string metric) =>
        prometheus.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) || l.StartsWith(metric + " ", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    [Fact]
    public async Task StartDashboardAsync_EmbeddedIteration_ApiShowsEverySuperstepAndItsAggregator()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        await using var server = await env.StartDashboardAsync(new DashboardOptions { Port = 0 }, "halving");
        Assert.NotNull(server);
        var seen = await RunHalvingAsync(env, 6);

        var jobs = (await GetJsonAsync(new Uri(server!.Address, "api/jobs"))).AsArray();
        var job = Assert.Single(jobs)!;
        Assert.Equal("halving", (string?)job["name"]);
        Assert.Equal("finished", (string?)job["status"]);
        Assert.Equal(6, (int?)job["superstep_count"]);

        var detail = await GetJsonAsync(new Uri(server.Address, "api/jobs/" + (string?)job["id"]));
        var supersteps = detail["supersteps"]!.AsArray();
        Assert.Equal(seen.Select(s => s.Superstep), supersteps.Select(s => (int)s!["superstep"]!));
        Assert.Equal(seen.Select(s => (double)s.Aggregators["total"]!), supersteps.Select(s => (double)s!["aggregators"]!["total"]!));
        Assert.Equal(seen.Select(s => s.RecordsOut), supersteps.Select(s => (long)s!["records"]!));
        Assert.Equal(seen[^1].Tasks.Count, detail["tasks"]!.AsArray().Count);
        Assert.Contains(detail["runs"]!.AsArray(), r => (string?)r!["status"] == "finished");

        var workers = (await GetJsonAsync(new Uri(server.Address, "api/workers"))).AsArray();
        Assert.Equal("local", (string?)Assert.Single(workers)!["id"]);
        Assert.Contains("<title>Dataflow dashboard</title>", await Http.GetStringAsync(server.Address), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_EmbeddedIteration_PrometheusTextCountsSuperstepsAndOperatorRecords()
    {
        var env = DataflowEnvironment.CreateLocal(2);
        await using var server = await env.StartDashboardAsync(new DashboardOptions { Port = 0 });
        var seen = await RunHalvingAsync(env, 4);

        // The exporter caches a scrape briefly: read until the last superstep is in.
        string text = "";
        for (int i = 0; i < 100 && Sample(text, "dataflow_supersteps_total") < seen.Count; i++)
        {
            if (i > 0) await Task.Delay(100);
            text = await Http.GetStringAsync(new Uri(server!.Address, "metrics"));
        }
        Assert.Equal(seen.Count, Sample(text, "dataflow_supersteps_total"));
        Assert.Equal(seen.Sum(s => s.RecordsOut), Sample(text, "dataflow_operator_records_out_total"));
        // The events carry busy time in ms to three decimals.
        Assert.Equal(seen.Sum(s => s.Tasks.Sum(t => Math.Round(t.BusyMs, 3))) / 1000, Sample(text, "dataflow_operator_busy_time_seconds_total"), 9);
        Assert.Contains("# TYPE dataflow_supersteps_total counter", text, StringComparison.Ordinal);
        Assert.Contains("dataflow_worker_memory_bytes{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_NotLoopbackWithoutToken_RefusedWithReason()
    {
        using var state = new DashboardState();
        var e = await Assert.ThrowsAsync<ArgumentException>(() => DashboardServer.StartAsync(state, new DashboardOptions { Address = IPAddress.Any, Port = 0 }));
        Assert.Contains("token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_WithAndWithoutToken_OnlyTheTokenIsServed()
    {
        using var state = new DashboardState();
        var token = DashboardOptions.TokenFromSecret("a secret of sixteen characters or more"u8.ToArray());
        await using var server = await DashboardServer.StartAsync(state, new DashboardOptions { Port = 0, Token = token });
        foreach (var path in new[] { "", "api/jobs", "api/workers", "metrics" })
        {
            using var none = await Http.GetAsync(new Uri(server.Address, path));
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            using var wrong = await Http.GetAsync(new Uri(server.Address, path + "?token=" + token[..^1] + "0"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            using var query = await Http.GetAsync(new Uri(server.Address, path + "?token=" + token));
            Assert.Equal(HttpStatusCode.OK, query.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Address, path));
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            using var header = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, header.StatusCode);
        }
        Assert.Equal(server.Url.ToString(), server.Address + "?token=" + token);
    }

    [Fact]
    public void Ingest_RescaleAndPlacementLines_KeptAndMovesCounted()
    {
        using var state = new DashboardState();
        state.Ingest("7", "PageRank", """{"event":"placement","step":1,"policy":"round-robin","parallelism":2,"assignments":{"0":"w1","1":"w2"},"predictions":{"w1":{"load":0.5,"bottleneck":false}}}""");
        state.Ingest("7", "PageRank", """{"event":"placement","step":1,"superstep":3,"policy":"round-robin","parallelism":2,"assignments":{"0":"w2","1":"w1"},"predictions":{}}""");
        state.Ingest("7", "PageRank", """{"event":"rescale","iteration":"pagerank","superstep":4,"from":3,"to":2,"policy":"fixed","reason":"schedule","duration_ms":12.5,"workers":2,"joined":[],"joined_from_standby":[],"released":["w3"]}""");
        state.Ingest("7", "PageRank", """{"event":"checkpoint","superstep":5}""");
        var job = state.JobJson("7")!;
        Assert.Equal(2, job["placements"]!.AsArray().Count);
        Assert.True((bool?)job["placements"]![1]!["moved"]);
        Assert.Null(job["placements"]![0]!["moved"]);
        Assert.Equal("schedule", (string?)job["rescales"]![0]!["reason"]);
        Assert.Equal("checkpoint", (string?)job["events"]![0]!["event"]);
        Assert.Null(state.JobJson("8"));
        Assert.Throws<System.Text.Json.JsonException>(() => state.Ingest("7", "PageRank", "[1]"));
    }
}
