using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Dataflow.Dashboard;

/// <summary>Where and how the dashboard listens.</summary>
public sealed class DashboardOptions
{
    /// <summary>The default port of <c>--ui</c> without a value.</summary>
    public const int DefaultPort = 8088;

    /// <summary>The address to bind (default: loopback).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The port (0: any free one).</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>
    /// The token every request must carry (<c>?token=</c> or <c>Authorization: Bearer</c>); required when
    /// <see cref="Address"/> is not a loopback address (see <see cref="TokenFromSecret"/>), optional on loopback.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>The token derived from a cluster's shared secret: whoever may join the cluster may watch it.</summary>
    public static string TokenFromSecret(byte[] secret) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secret ?? throw new ArgumentNullException(nameof(secret)), "dataflow dashboard"u8))[..32];
}

/// <summary>
/// The live dashboard (docs/dashboard.md): the page at <c>/</c>, a JSON API under <c>/api/</c>
/// (<c>jobs</c>, <c>jobs/{id}</c>, <c>workers</c>, and <c>events</c>: server-sent events at every change),
/// and Prometheus metrics at <c>/metrics</c>. ASP.NET Core, started in the process that holds the
/// <see cref="DashboardState"/>: an embedded run or the coordinator.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri address, string? token)
    {
        _app = app;
        Address = address;
        Url = token is null ? address : new Uri(address, "?token=" + token);
    }

    /// <summary>The address it listens on.</summary>
    public Uri Address { get; }

    /// <summary>The address to open, with the token when one is needed.</summary>
    public Uri Url { get; }

    /// <summary>Starts serving <paramref name="state"/>.</summary>
    /// <exception cref="ArgumentException">A non-loopback address without a token.</exception>
    /// <exception cref="IOException">The port is taken.</exception>
    public static async Task<DashboardServer> StartAsync(DashboardState state, DashboardOptions options)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.IsLoopback(options.Address) && string.IsNullOrEmpty(options.Token))
        {
            throw new ArgumentException($"A dashboard bound to {options.Address} (not loopback) needs a token derived from the cluster's secret.");
        }
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders(); // the program's output stays its own
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Address, options.Port));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(2));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(DashboardMetrics.MeterName).AddPrometheusExporter());
        var app = builder.Build();
        if (options.Token is { Length: > 0 } token) app.Use(RequireToken(token));
        Map(app, state);
        try
        {
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"The dashboard cannot listen on {options.Address}:{options.Port}: {e.Message}", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"), options.Token);
    }

    private static Func<HttpContext, RequestDelegate, Task> RequireToken(string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        return (context, next) =>
        {
            string? given = context.Request.Query["token"];
            var header = context.Request.Headers.Authorization.ToString();
            if (given is null && header.StartsWith("Bearer ", StringComparison.Ordinal)) given = header["Bearer ".Length..];
            if (given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected)) return next(context);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return context.Response.WriteAsync("This dashboard needs its token: open the address the launcher printed (ending in ?token=...), or send 'Authorization: Bearer TOKEN'.\n");
        };
    }

    private static void Map(WebApplication app, DashboardState state)
    {
        app.MapGet("/", () => Results.Text(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/api/jobs", () => Results.Text(state.JobsJson().ToJsonString(), "application/json"));
        app.MapGet("/api/jobs/{id}", (string id) => state.JobJson(id) is { } job ? Results.Text(job.ToJsonString(), "application/json") : Results.NotFound());
        app.MapGet("/api/workers", () => Results.Text(state.WorkersJson().ToJsonString(), "application/json"));
        app.MapGet("/api/events", (HttpContext context, IHostApplicationLifetime lifetime) => StreamEventsAsync(context, state, lifetime.ApplicationStopping));
        app.MapPrometheusScrapingEndpoint();
    }

    private static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(DashboardServer).Assembly.GetManifestResourceStream("wwwroot/index.html")
                           ?? throw new InvalidOperationException("The dashboard's page is missing from its assembly.");
        return new StreamReader(stream).ReadToEnd();
    });

    /// <summary>Server-sent events: <c>update</c> at every change of the state (checked four times a second), and at least every two seconds for the workers' figures.</summary>
    private static async Task StreamEventsAsync(HttpContext context, DashboardState state, CancellationToken stopping)
    {
        context.Response.Headers.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        long sent = -1;
        var quiet = 0;
        try
        {
            while (!linked.IsCancellationRequested)
            {
                long version = state.Version;
                if (version != sent || ++quiet >= 8)
                {
                    await context.Response.WriteAsync($"event: update\ndata: {{\"version\":{version}}}\n\n", linked.Token).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(linked.Token).ConfigureAwait(false);
                    sent = version;
                    quiet = 0;
                }
                await Task.Delay(250, linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away or the dashboard stops.
        }
    }

    /// <summary>Disposed with the server (an embedded run's state and its meter).</summary>
    internal IDisposable? Owned { get; set; }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Owned?.Dispose();
    }
}
