using Dataflow.Elasticity.Policies;

namespace Dataflow.Elasticity.Tests.Policies;

public class FixedPolicyTests
{
    [Fact]
    public void Decide_Schedule1423_FollowsItAndRepeatsTheLast()
    {
        var policy = new FixedPolicy(new FixedPolicyOptions { Schedule = [1, 4, 2, 3] });
        var steps = new List<Step> { new(1, 10) };
        var chosen = new List<int>();
        for (int k = 1; k <= 6; k++)
        {
            int next = policy.Decide(Contexts.After(steps.ToArray())).Parallelism;
            chosen.Add(next);
            steps.Add(new Step(next, 10));
        }
        Assert.Equal(1, policy.InitialParallelism);
        Assert.Equal([4, 2, 3, 3, 3, 3], chosen);
    }

    [Fact]
    public void Decide_Always_ReasonNamesScheduleEntry()
    {
        var policy = new FixedPolicy(new FixedPolicyOptions { Schedule = [1, 4] });
        Assert.Contains("superstep 2 runs at entry 2 = 4", policy.Decide(Contexts.After(new Step(1, 10))).Reason);
    }

    [Fact]
    public void Constructor_ScheduleCopied_LaterChangesIgnored()
    {
        var options = new FixedPolicyOptions { Schedule = [2, 3] };
        var policy = new FixedPolicy(options);
        options.Schedule[1] = 7;
        Assert.Equal(3, policy.Decide(Contexts.After(new Step(2, 10))).Parallelism);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 2, 0 })]
    public void Constructor_InvalidSchedule_Throws(int[] schedule)
    {
        Assert.Throws<ArgumentException>(() => new FixedPolicy(new FixedPolicyOptions { Schedule = schedule.ToList() }));
    }
}
