using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Elasticity.Tests;

/// <summary>The utilization policy scales out only when supersteps are long enough for more workers to pay off.</summary>
public class ScaleOutMinSuperstepTests
{
    private static IReadOnlyList<TaskStatistics> Tasks(int p, double cpuMsPerSubtask) =>
        Enumerable.Range(0, p).Select(s => new TaskStatistics("Map", s, "local", 0, 0, 0, 0, cpuMsPerSubtask, 0, 0, cpuMsPerSubtask, 0)).ToList();

    /// <summary>Supersteps of <paramref name="ms"/> at the given parallelism and utilization; the last one's parallelism is the current one.</summary>
    private static BarrierContext Context(double ms, params (int P, double U)[] steps) => new("it", steps.Length, steps[^1].P,
        steps.Select(s => Tasks(s.P, s.U * ms)).ToList(), steps.Select(_ => TimeSpan.FromMilliseconds(ms)).ToList(), [new WorkerInfo("local", 8)]);

    private static UtilizationPolicy Policy(double minMs) =>
        new(new UtilizationPolicyOptions { CooldownSupersteps = 1, MaxParallelism = 8, ScaleOutMinSuperstepMs = minMs });

    [Fact]
    public void Decide_OverloadedButSuperstepShorterThanTheMinimum_KeepsParallelism()
    {
        var decision = Policy(50).Decide(Context(3, (1, 0.95), (1, 0.95)));
        Assert.Equal(1, decision.Parallelism);
        Assert.Contains("took 3 ms, under the 50 ms", decision.Reason);
    }

    [Fact]
    public void Decide_OverloadedAndSuperstepLongEnough_ScalesOut()
    {
        Assert.Equal(2, Policy(50).Decide(Context(50, (1, 0.95), (1, 0.95))).Parallelism);
    }

    [Fact]
    public void Decide_UnderloadedShortSupersteps_StillScalesIn()
    {
        // Scale-in releases resources: the minimum does not hold it back.
        Assert.Equal(1, Policy(1000).Decide(Context(3, (4, 0.1), (4, 0.1))).Parallelism);
    }

    [Fact]
    public void Decide_MinimumZero_ScalesOutHoweverShortTheSuperstep()
    {
        Assert.Equal(2, Policy(0).Decide(Context(0.5, (1, 0.95), (1, 0.95))).Parallelism);
    }

    [Fact]
    public void CommandLine_ScaleOutMinSuperstepMs_SetsOption()
    {
        var policy = ElasticityOptionsTests.Parses("--elasticity", "utilization", "--scale-out-min-superstep-ms", "75.5");
        Assert.Equal(75.5, Assert.IsType<UtilizationPolicy>(policy).Options.ScaleOutMinSuperstepMs);
    }

    [Fact]
    public void CommandLine_NegativeScaleOutMinSuperstepMs_FailsNamingTheFlag()
    {
        var error = ElasticityOptionsTests.Fails("--elasticity", "utilization", "--scale-out-min-superstep-ms", "-1");
        Assert.Contains("--scale-out-min-superstep-ms", error);
    }

    [Theory]
    [InlineData("--scale-in-patience", "0")]
    [InlineData("--overload-memory", "-1")]
    public void CommandLine_OtherUtilizationOptionOutOfRange_FailsNamingTheFlag(string flag, string value)
    {
        var error = ElasticityOptionsTests.Fails("--elasticity", "utilization", flag, value);
        Assert.Contains(flag, error);
    }
}
