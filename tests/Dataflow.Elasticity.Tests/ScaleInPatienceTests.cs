using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Elasticity.Tests;

/// <summary>The utilization policy's scale-in patience damps oscillation.</summary>
public class ScaleInPatienceTests
{
    private static IReadOnlyList<TaskStatistics> Tasks(int p, double cpuMsPerSubtask) =>
        Enumerable.Range(0, p).Select(s => new TaskStatistics("Map", s, "local", 0, 0, 0, 0, cpuMsPerSubtask, 0, 0, cpuMsPerSubtask, 0)).ToList();

    private static BarrierContext Context(int p, params double[] utilizations) => new("it", utilizations.Length, p,
        utilizations.Select(u => Tasks(p, u * 100)).ToList(), utilizations.Select(_ => TimeSpan.FromMilliseconds(100)).ToList(),
        [new WorkerInfo("local", 8)]);

    [Fact]
    public void Decide_LowOnceWithPatience2_KeepsParallelism()
    {
        var policy = new UtilizationPolicy(new UtilizationPolicyOptions { ScaleInPatience = 2, CooldownSupersteps = 1, MaxParallelism = 8 });
        Assert.Equal(4, policy.Decide(Context(4, 0.7, 0.3)).Parallelism);
    }

    [Fact]
    public void Decide_LowTwiceWithPatience2_ScalesIn()
    {
        var policy = new UtilizationPolicy(new UtilizationPolicyOptions { ScaleInPatience = 2, CooldownSupersteps = 1, MaxParallelism = 8 });
        Assert.True(policy.Decide(Context(4, 0.3, 0.3)).Parallelism < 4);
    }

    [Fact]
    public void CommandLine_ScaleInPatience_SetsOption()
    {
        var policy = ElasticityOptionsTests.Parses("--elasticity", "utilization", "--scale-in-patience", "3");
        Assert.Equal(3, Assert.IsType<UtilizationPolicy>(policy).Options.ScaleInPatience);
    }
}
