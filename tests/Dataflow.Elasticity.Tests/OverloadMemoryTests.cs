using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Elasticity.Tests;

/// <summary>The utilization policy does not scale back in to a parallelism it recently had to leave because it was overloaded.</summary>
public class OverloadMemoryTests
{
    private static IReadOnlyList<TaskStatistics> Tasks(int p, double cpuMsPerSubtask) =>
        Enumerable.Range(0, p).Select(s => new TaskStatistics("Map", s, "local", 0, 0, 0, 0, cpuMsPerSubtask, 0, 0, cpuMsPerSubtask, 0)).ToList();

    /// <summary>Supersteps of 100 ms at the given parallelism and utilization; the last one's parallelism is the current one.</summary>
    private static BarrierContext Context(params (int P, double U)[] steps) => new("it", steps.Length, steps[^1].P,
        steps.Select(s => Tasks(s.P, s.U * 100)).ToList(), steps.Select(_ => TimeSpan.FromMilliseconds(100)).ToList(), [new WorkerInfo("local", 8)]);

    private static UtilizationPolicy Policy(int memory = 10) =>
        new(new UtilizationPolicyOptions { CooldownSupersteps = 1, MaxParallelism = 8, OverloadMemory = memory });

    [Fact]
    public void Decide_LowAfterScalingOutFromOverloadedParallelism_KeepsParallelism()
    {
        // p=1 was above the band (0.95), so the policy went to 2; at 2 the reading is low (0.3 → floor(0.3/0.7×2) = 0 → 1).
        var decision = Policy().Decide(Context((1, 0.95), (2, 0.3)));
        Assert.Equal(2, decision.Parallelism);
        Assert.Contains("above the band", decision.Reason);
    }

    [Fact]
    public void Decide_LowAfterOverloadAtTwo_ScalesInOnlyToThree()
    {
        // From 6, the formula says 2 (0.3/0.7×6 = 2.57), but p=2 was overloaded recently: the floor is 3.
        Assert.Equal(3, Policy().Decide(Context((2, 0.9), (6, 0.3), (6, 0.3))).Parallelism);
    }

    [Fact]
    public void Decide_OverloadOutsideTheMemory_ScalesIn()
    {
        Assert.Equal(1, Policy(memory: 1).Decide(Context((1, 0.95), (2, 0.3), (2, 0.3))).Parallelism);
    }

    [Fact]
    public void Decide_NoMemory_ScalesInAsTheFormulaSays()
    {
        Assert.Equal(1, Policy(memory: 0).Decide(Context((1, 0.95), (2, 0.3))).Parallelism);
    }

    [Fact]
    public void CommandLine_OverloadMemory_SetsOption()
    {
        var policy = ElasticityOptionsTests.Parses("--elasticity", "utilization", "--overload-memory", "4");
        Assert.Equal(4, Assert.IsType<UtilizationPolicy>(policy).Options.OverloadMemory);
    }
}
