using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Elasticity.Tests.Policies;

public class UtilizationPolicyTests
{
    private static UtilizationPolicy Policy(Action<UtilizationPolicyOptions>? configure = null)
    {
        var o = new UtilizationPolicyOptions();
        configure?.Invoke(o);
        return new UtilizationPolicy(o);
    }

    [Fact]
    public void Decide_HighUtilization_ScalesOutByFormula()
    {
        var d = Policy().Decide(Contexts.After(new Step(4, 100, Cpu: 1.0)));
        Assert.Equal(5, d.Parallelism);     // floor(1.0 / 0.7 × 4) = floor(5.71)
    }

    [Fact]
    public void Decide_LowUtilization_ScalesInByFormula()
    {
        var d = Policy().Decide(Contexts.After(new Step(8, 100, Cpu: 0.35)));
        Assert.Equal(4, d.Parallelism);     // floor(0.35 / 0.7 × 8) = 4, not 3.99…
    }

    [Theory]
    [InlineData(0.62)]
    [InlineData(0.7)]
    [InlineData(0.78)]
    public void Decide_UtilizationWithinBand_KeepsParallelism(double cpu)
    {
        var d = Policy().Decide(Contexts.After(new Step(4, 100, cpu)));
        Assert.Equal(4, d.Parallelism);
        Assert.Contains("within the band", d.Reason);
    }

    [Fact]
    public void Decide_NoisyUtilizationAroundTarget_NeverLeavesParallelism()
    {
        var policy = Policy();
        var noise = new Random(7);
        var steps = new List<Step>();
        for (int k = 0; k < 50; k++)
        {
            steps.Add(new Step(6, 100, 0.7 + (noise.NextDouble() * 2 - 1) * 0.095));
            Assert.Equal(6, policy.Decide(Contexts.After(steps.ToArray())).Parallelism);
        }
    }

    [Fact]
    public void Decide_SmallBandAndSameNoise_Flaps()
    {
        // The counterpart of the test above: without hysteresis the same kind of noise changes p.
        var policy = Policy(o => o.Band = 0);
        Assert.NotEqual(6, policy.Decide(Contexts.After(new Step(6, 100, 0.79))).Parallelism);
    }

    [Fact]
    public void Decide_SaturatedAtParallelismOne_StepsOutByOne()
    {
        var d = Policy().Decide(Contexts.After(new Step(1, 100, Cpu: 1.0)));
        Assert.Equal(2, d.Parallelism);
        Assert.Contains("at least p+1", d.Reason);
    }

    [Fact]
    public void Decide_SaturatedAtParallelismOneWithPlainFormula_Keeps()
    {
        var d = Policy(o => o.ScaleOutAtLeastOne = false).Decide(Contexts.After(new Step(1, 100, Cpu: 1.0)));
        Assert.Equal(1, d.Parallelism);
    }

    [Fact]
    public void Decide_FormulaAboveMax_ClampsToMax()
    {
        var d = Policy(o => o.MaxParallelism = 10).Decide(Contexts.After(new Step(8, 100, Cpu: 1.0)));
        Assert.Equal(10, d.Parallelism);    // floor(11.4) clamped
    }

    [Fact]
    public void Decide_FormulaBelowMin_ClampsToMin()
    {
        var d = Policy(o => o.MinParallelism = 3).Decide(Contexts.After(new Step(8, 100, Cpu: 0.1)));
        Assert.Equal(3, d.Parallelism);     // floor(1.14) clamped
    }

    [Fact]
    public void Decide_NoMaxConfigured_ClampsToWorkerSlots()
    {
        var workers = new[] { new WorkerInfo("local", 4) };
        var d = Policy().Decide(Contexts.After(workers, new Step(4, 100, Cpu: 1.0)));
        Assert.Equal(4, d.Parallelism);
    }

    [Fact]
    public void Decide_WithinCooldown_KeepsNewParallelism()
    {
        var policy = Policy(o => o.CooldownSupersteps = 2);
        var justRescaled = Contexts.After(new Step(2, 100, 1.0), new Step(4, 100, 1.0));
        Assert.Equal(4, policy.Decide(justRescaled).Parallelism);
        Assert.Contains("cooldown", policy.Decide(justRescaled).Reason);
        var settled = Contexts.After(new Step(2, 100, 1.0), new Step(4, 100, 1.0), new Step(4, 100, 1.0));
        Assert.Equal(5, policy.Decide(settled).Parallelism);
    }

    [Fact]
    public void Decide_TwoWorkers_UsesMeanOfWorkerUtilizations()
    {
        var workers = new[] { new WorkerInfo("a", 2), new WorkerInfo("b", 2) };
        var tasks = new[] { Contexts.Task(0, 100, "a"), Contexts.Task(1, 100, "a"), Contexts.Task(2, 80, "b"), Contexts.Task(3, 80, "b") };
        var d = Policy(o => o.MaxParallelism = 8).Decide(Contexts.Single(4, 100, tasks, workers));
        Assert.Equal(5, d.Parallelism);     // U = (1.0 + 0.8) / 2 = 0.9; floor(0.9 / 0.7 × 4) = 5
        Assert.Contains("U=0.9 over 2 worker(s)", d.Reason);
    }

    [Fact]
    public void Decide_SeveralOperatorsPerSubtask_CountsSlotsNotRecords()
    {
        // Two chains of two subtasks: CPU 2 × 2 × 35 ms over 100 ms on 2 occupied slots → U = 0.7.
        var tasks = new[] { Contexts.Task(0, 35, op: "A"), Contexts.Task(1, 35, op: "A"), Contexts.Task(0, 35, op: "B"), Contexts.Task(1, 35, op: "B") };
        var d = Policy(o => o.Band = 0.01).Decide(Contexts.Single(2, 100, tasks));
        Assert.Equal(2, d.Parallelism);
        Assert.Contains("U=0.7 ", d.Reason);
    }

    [Fact]
    public void Decide_QuarterCoreSlots_MeasuresAgainstSlotCapacity()
    {
        var context = Contexts.After(new Step(4, 100, Cpu: 0.25));
        Assert.Equal(5, Policy(o => o.SlotCapacity = 0.25).Decide(context).Parallelism);
        Assert.Equal(1, Policy().Decide(context).Parallelism);
    }

    [Fact]
    public void Decide_NoCpuTimeReported_UsesBusyTime()
    {
        var tasks = Enumerable.Range(0, 4).Select(i => Contexts.Task(i, 0, busyMs: 100)).ToArray();
        Assert.Equal(5, Policy().Decide(Contexts.Single(4, 100, tasks)).Parallelism);
    }

    [Fact]
    public void Decide_NoTaskStatistics_KeepsParallelism()
    {
        var d = Policy().Decide(Contexts.Single(3, 100, []));
        Assert.Equal(3, d.Parallelism);
        Assert.Contains("no task statistics", d.Reason);
    }

    [Fact]
    public void Decide_AnyChange_ReasonNamesInputs()
    {
        var d = Policy().Decide(Contexts.After(new Step(4, 100, Cpu: 1.0)));
        Assert.Contains("U=1 ", d.Reason);
        Assert.Contains("target 0.7", d.Reason);
        Assert.Contains("p=4", d.Reason);
        Assert.EndsWith("-> 5", d.Reason);
    }

    [Theory]
    [InlineData(0.0, 0.1, 1, 1, null)]
    [InlineData(1.2, 0.1, 1, 1, null)]
    [InlineData(0.7, 1.0, 1, 1, null)]
    [InlineData(0.7, 0.1, 0, 1, null)]
    [InlineData(0.7, 0.1, 1, 0, null)]
    [InlineData(0.7, 0.1, 1, 4, 2)]
    public void Constructor_OptionOutOfRange_Throws(double target, double band, int cooldown, int min, int? max)
    {
        var ex = Assert.Throws<ArgumentException>(() => Policy(o =>
        {
            o.TargetCpu = target;
            o.Band = band;
            o.CooldownSupersteps = cooldown;
            o.MinParallelism = min;
            o.MaxParallelism = max;
        }));
        Assert.Contains("must be", ex.Message);
    }
}
