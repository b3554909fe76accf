using System.Net;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Cluster.Tests;

/// <summary>Places every subtask on the last worker (by id): a placement nobody would choose by accident.</summary>
public sealed class AllOnLastWorkerPolicy : IPlacementPolicy
{
    private int _calls;

    public string Name => "all-on-last";

    public int Calls => Volatile.Read(ref _calls);

    public Placement Place(string vertex, int parallelism, IReadOnlyList<WorkerInfo> workers, Placement? current)
    {
        Interlocked.Increment(ref _calls);
        var last = workers.Select(w => w.Id).Order(StringComparer.Ordinal).Last();
        return new Placement(Enumerable.Repeat(last, parallelism).ToArray());
    }
}

/// <summary>
/// The coordinator's extension points as a user meets them: services registered with
/// <c>AddDataflowCluster()</c> that the coordinator resolves, on a real cluster of worker processes.
/// </summary>
public sealed class ExtensionPointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-extend-").FullName;

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(Path.Combine(_dir, "secret")));
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AddPlacementPolicy_CustomPolicyChosenByProgram_PlacesTheClusterJob()
    {
        string secretFile = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(secretFile);
        var services = new ServiceCollection();
        services.AddDataflowCluster(o =>
            {
                o.Listen = new IPEndPoint(IPAddress.Loopback, 0);
                o.Secret = Authentication.ReadSecret(secretFile);
                o.CacheDirectory = Path.Combine(_dir, "cache");
            })
            .AddPlacementPolicy<AllOnLastWorkerPolicy>()
            .AddResourceProvider(sp =>
            {
                var coordinator = sp.GetRequiredService<Coordinator>();
                return new LocalProcessProvider(coordinator, n => Repo.WorkerProcess(coordinator.EndPoint.ToString(), 2, secretFile, Path.Combine(_dir, $"worker-{n}")),
                    Path.Combine(_dir, "logs"));
            });
        await using (var provider = services.BuildServiceProvider())
        {
            var coordinator = provider.GetRequiredService<Coordinator>();
            coordinator.Start();
            await provider.GetRequiredService<IResourceProvider>().AcquireAsync(2, CancellationToken.None);

            string stats = Path.Combine(_dir, "stats.jsonl"), output = Path.Combine(_dir, "ranks.tsv");
            var (exit, _, err) = Repo.Run(TimeSpan.FromMinutes(3), Repo.Launcher, "submit", "--coordinator", coordinator.EndPoint.ToString(),
                "--secret-file", secretFile, "--workers", "2", "--", Repo.Example("PageRank"), "--edges", Repo.TestData("karate.edges"),
                "--iterations", "5", "--parallelism", "2", "--placement", "all-on-last", "--stats", stats, "--output", output);
            Assert.True(exit == 0, err);

            var policy = provider.GetServices<IPlacementPolicy>().OfType<AllOnLastWorkerPolicy>().Single();
            Assert.True(policy.Calls > 0);
            var placements = File.ReadAllLines(stats).Where(l => l.Contains("\"event\":\"placement\"", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(placements);
            Assert.All(placements, l => Assert.Contains("\"policy\":\"all-on-last\"", l, StringComparison.Ordinal));
            Assert.Contains("\"assignments\":{\"0\":\"w2\",\"1\":\"w2\"}", placements[0], StringComparison.Ordinal);
            var reference = Repo.ReadTsvDoubles(Repo.TestData("karate.pagerank.tsv"));
            Assert.Equal(reference.Count, Repo.ReadTsvDoubles(output).Count);
        }
    }
}
