using Dataflow.Elasticity.Policies;

namespace Dataflow.Elasticity.Tests.Policies;

public class RuntimeTargetPolicyTests
{
    /// <summary>An Ernest-shaped superstep runtime (θ = 50, 1000, 0, 2), fastest at x = 22.</summary>
    private static double T(int x) => 50 + 1000.0 / x + 2.0 * x;

    private static Step[] Ran(params int[] parallelism) => parallelism.Select(p => new Step(p, T(p))).ToArray();

    private static RuntimeTargetPolicy Policy(double targetMs, int? supersteps = 20, int min = 1, int? max = 32) =>
        new(new RuntimeTargetPolicyOptions { TargetMs = targetMs, ExpectedSupersteps = supersteps, MinParallelism = min, MaxParallelism = max });

    /// <summary>docs/architecture.md §8 evaluated with the true runtime function.</summary>
    private static int Expected(Step[] steps, double target, int n, int min, int max, bool onlyDown)
    {
        int p = steps[^1].Parallelism;
        double budget = target - steps.Sum(s => s.DurationMs) - T(p);
        int after = n - steps.Length - 1;
        for (int x = min; x <= max; x++)
        {
            if (after * T(x) < 0.9 * budget) return onlyDown && x >= p ? p : x;
        }
        return Enumerable.Range(min, max - min + 1).MinBy(T);
    }

    [Fact]
    public void Decide_BehindTarget_PicksSmallestParallelismMeetingRemainingBudget()
    {
        var steps = Ran(8, 16, 4, 2, 1);            // elapsed 2249.5 ms, now at p = 1
        var d = Policy(6000).Decide(Contexts.After(steps));
        Assert.Equal(Expected(steps, 6000, 20, 1, 32, onlyDown: false), d.Parallelism);
        Assert.Equal(10, d.Parallelism);             // 14 × t(x) < 0.9 × (6000 − 2249.5 − 1052) first at x = 10
        Assert.Contains("Bell(Ernest)", d.Reason);
    }

    [Fact]
    public void Decide_AheadOfTarget_ScalesIn()
    {
        var steps = Ran(1, 2, 4, 8, 16);
        var d = Policy(8000).Decide(Contexts.After(steps));
        Assert.Equal(Expected(steps, 8000, 20, 1, 32, onlyDown: true), d.Parallelism);
        Assert.True(d.Parallelism < 16);
    }

    [Theory]
    [InlineData(1.04, 16)]      // inside 0.85..1.05: keep
    [InlineData(0.86, 16)]
    [InlineData(1.06, 22)]      // over 1.05: nothing fits 0.9 × budget, so the fastest
    [InlineData(0.84, 13)]      // under 0.85: smallest under 0.9 × budget, below p
    public void Decide_RemainingOverBudgetRatio_AppliesThresholds(double ratio, int expected)
    {
        var steps = Ran(1, 2, 4, 8, 16);
        double remaining = 14 * T(16);
        double target = steps.Sum(s => s.DurationMs) + T(16) + remaining / ratio;
        Assert.Equal(expected, Policy(target).Decide(Contexts.After(steps)).Parallelism);
    }

    [Fact]
    public void Decide_TargetUnreachable_PicksFastestInRange()
    {
        var steps = Ran(1, 2, 4, 8, 16);
        Assert.Equal(22, Policy(3000).Decide(Contexts.After(steps)).Parallelism);
        Assert.Equal(12, Policy(3000, max: 12).Decide(Contexts.After(steps)).Parallelism);
    }

    [Fact]
    public void Decide_NextSuperstepIsTheLast_Keeps()
    {
        var steps = Ran(1, 2, 4, 8, 16);
        var d = Policy(1, supersteps: 6).Decide(Contexts.After(steps));
        Assert.Equal(16, d.Parallelism);
        Assert.Contains("nothing left to steer", d.Reason);
    }

    [Fact]
    public void Decide_OneParallelismObserved_AssumesLinearScaling()
    {
        var steps = new[] { new Step(2, 500), new Step(2, 500), new Step(2, 500) };
        var d = Policy(200, supersteps: null).Decide(Contexts.After(steps));
        Assert.Equal(6, d.Parallelism);              // 1000 / x < 0.9 × 200 first at x = 6
        Assert.Contains("linear scaling", d.Reason);
        Assert.Contains("per-superstep target", d.Reason);
    }

    [Fact]
    public void Decide_Always_ReasonNamesBudgetAndPrediction()
    {
        var d = Policy(6000).Decide(Contexts.After(Ran(8, 16, 4, 2, 1)));
        Assert.Contains("superstep 5 of 20", d.Reason);
        Assert.Contains("elapsed 2249.5 ms of target 6000 ms", d.Reason);
        Assert.Contains("next at p=1 predicted 1052 ms", d.Reason);
        Assert.Contains("smallest p under 0.9", d.Reason);
    }

    [Fact]
    public void Model_TwoParallelisms_PredictsMeanInsideAndErnestOutside()
    {
        var model = SuperstepRuntimeModel.Fit([2, 2, 4, 4], [500, 520, 300, 320]);
        Assert.Equal(410, model.Predict(3), 1e-9);
        Assert.Equal(410, model.Predict(4), 1e-9);
        Assert.True(model.Predict(8) < 320);         // Ernest, fitted on both, extrapolates the speed-up
    }

    [Fact]
    public void Model_ErnestShapedPoints_PredictsTheFunction()
    {
        double[] x = [1, 2, 4, 8, 16];
        var model = SuperstepRuntimeModel.Fit(x, x.Select(v => T((int)v)).ToArray());
        foreach (var p in new[] { 3, 10, 16, 22, 40 }) Assert.Equal(T(p), model.Predict(p), 1e-6);
    }

    [Theory]
    [InlineData(0, null, 1.05, 0.85, 0.9)]
    [InlineData(100, 0, 1.05, 0.85, 0.9)]
    [InlineData(100, null, 1.0, 0.85, 0.9)]
    [InlineData(100, null, 1.05, 1.0, 0.9)]
    [InlineData(100, null, 1.05, 0.85, 0.8)]
    public void Constructor_OptionOutOfRange_Throws(double target, int? supersteps, double outAbove, double inBelow, double pick)
    {
        Assert.Throws<ArgumentException>(() => new RuntimeTargetPolicy(new RuntimeTargetPolicyOptions
        {
            TargetMs = target, ExpectedSupersteps = supersteps, ScaleOutAbove = outAbove, ScaleInBelow = inBelow, PickUnder = pick,
        }));
    }
}
