using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Hosting;
using Dataflow.Runtime.Iterations;
using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Engine.Tests;

/// <summary>
/// The iteration driver against a host that records what it is asked (and does it in this process):
/// the superstep protocol's order, whatever runs the supersteps.
/// </summary>
public class SuperstepHostTests
{
    private sealed class RecordingJobHost : IJobHost
    {
        private readonly LocalJobHost _local = new();

        public List<string> Calls { get; } = new();

        public HostMode Mode => HostMode.Embedded;

        public int? Parallelism => null;

        public Task<JobExecutionResult> RunAsync(JobGraph graph, LocalExecutor executor, Action<TaskStatistics>? subtaskDone, CancellationToken cancellationToken) =>
            _local.RunAsync(graph, executor, subtaskDone, cancellationToken);

        public Task<byte[]> ShareAsync(byte[]? value) => _local.ShareAsync(value);

        public void UsePlacement(string policy, string predictor)
        {
        }

        public event Action<PlacementRecord>? Placed
        {
            add { }
            remove { }
        }

        public ISuperstepHost OpenIteration(IterationRun run)
        {
            lock (Calls) Calls.Add($"open {run.Name} p={run.BaseParallelism}");
            return new Recording(new LocalSuperstepHost(run), Calls);
        }

        private sealed class Recording(ISuperstepHost inner, List<string> calls) : ISuperstepHost
        {
            public Runtime.Extensibility.WorkerInfo Capacity => inner.Capacity;

            private void Add(string call)
            {
                lock (calls) calls.Add(call);
            }

            public Task<BarrierOutcome> BarrierAsync(BarrierInput local)
            {
                Add($"barrier {local.Superstep}");
                return inner.BarrierAsync(local);
            }

            public Task<int> AgreeAsync(int value)
            {
                Add($"agree {value}");
                return inner.AgreeAsync(value);
            }

            public Task<RescaleEvent> RescaleAsync(RescaleRequest request)
            {
                Add($"rescale {request.Superstep}: {request.From}->{request.To}");
                return inner.RescaleAsync(request);
            }

            public Task PlaceAsync(int superstep, int parallelism)
            {
                Add($"place {superstep} p={parallelism}");
                return inner.PlaceAsync(superstep, parallelism);
            }

            public Task EndAsync(int parallelism, int baseParallelism)
            {
                Add($"end {parallelism}->{baseParallelism}");
                return inner.EndAsync(parallelism, baseParallelism);
            }
        }
    }

    [Fact]
    public async Task IterateBulk_FixedSchedule_DriverFollowsTheSuperstepProtocolInOrder()
    {
        var host = new RecordingJobHost();
        var services = new ServiceCollection();
        services.AddSingleton<IJobHost>(host);
        services.AddDataflow(o => o.Parallelism = 2).AddFixedElasticity(o => o.Schedule = [1, 3, 2]);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();

        var result = await env.FromCollection(Enumerable.Range(0, 100).ToList()).IterateBulk(3, (xs, ctx) => xs.Select(x => x + 1)).CollectAsync();

        Assert.Equal(Enumerable.Range(3, 100), result.Order());
        Assert.Equal(
        [
            "open bulk p=2",
            "rescale 0: 2->1",          // the policy's first parallelism, before the first superstep
            "barrier 1", "agree 3", "rescale 1: 1->3", "place 1 p=3",
            "barrier 2", "agree 2", "rescale 2: 3->2", "place 2 p=2",
            "barrier 3",                // the last superstep: no decision after it
            "end 2->2",
        ], host.Calls);
    }

    [Fact]
    public async Task IterateBulk_NoPolicy_NeverAgreesOrRescales()
    {
        var host = new RecordingJobHost();
        var services = new ServiceCollection();
        services.AddSingleton<IJobHost>(host);
        services.AddDataflow(o => o.Parallelism = 3);
        var env = services.BuildServiceProvider().GetRequiredService<DataflowEnvironment>();

        await env.FromCollection(Enumerable.Range(0, 10).ToList()).IterateBulk(2, (xs, ctx) => xs.Select(x => x * 2)).CountAsync();

        Assert.Equal(["open bulk p=3", "barrier 1", "place 1 p=3", "barrier 2", "end 3->3"], host.Calls);
    }
}
