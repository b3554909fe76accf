using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Tests;

public sealed class SlidingHmmPredictorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EstimateCurrent_TwoRegimeSeries_FollowsTheRegime(int seed)
    {
        var predictor = new SlidingHmmPredictor();
        var (values, levels) = Simulate.TwoRegimes(seed, n: 800);
        int close = 0, count = 0;
        for (int t = 0; t < values.Length; t++)
        {
            predictor.Observe(values[t]);
            if (t < 60) continue;
            count++;
            if (Math.Abs(predictor.EstimateCurrent() - levels[t]) < 0.1) close++;
        }

        // Only the first step or two after a switch may lag.
        Assert.True(close >= 0.95 * count, $"{close} of {count} estimates within 0.1 of the regime");
    }

    [Fact]
    public void StateMeans_TwoRegimeSeries_SomeStateAtEachRegime()
    {
        var predictor = new SlidingHmmPredictor();
        var (values, _) = Simulate.TwoRegimes(seed: 5, n: 500);
        foreach (var v in values) predictor.Observe(v);
        predictor.EstimateCurrent();

        var means = Enumerable.Range(0, predictor.States).Select(predictor.StateMean).ToArray();
        Assert.Contains(means, m => Math.Abs(m - 0.2) < 0.05);
        Assert.Contains(means, m => Math.Abs(m - 0.95) < 0.05);
    }

    [Fact]
    public void Predict_InsideHighRegime_PredictsBottleneck()
    {
        var predictor = new SlidingHmmPredictor(new SlidingHmmOptions { Mode = HmmPredictionMode.MostLikely });
        var (values, _) = Simulate.TwoRegimes(seed: 6, n: 400);
        foreach (var v in values) predictor.Observe(v);
        for (int t = 0; t < 10; t++) predictor.Observe(0.96);

        Assert.True(new BottleneckDetector(0.9).IsBottleneck(predictor, 3));
    }

    [Fact]
    public void TransitionProbability_Rows_SumToOne()
    {
        var predictor = new SlidingHmmPredictor();
        var (values, _) = Simulate.TwoRegimes(seed: 2, n: 300);
        foreach (var v in values) predictor.Observe(v);
        predictor.Predict(1);

        for (int i = 0; i < predictor.States; i++)
        {
            Assert.Equal(1.0, Enumerable.Range(0, predictor.States).Sum(j => predictor.TransitionProbability(i, j)), 1e-9);
        }
    }

    [Fact]
    public void Constructor_InvalidBlendWeight_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SlidingHmmPredictor(new SlidingHmmOptions { BlendWeight = 0 }));
    }
}
