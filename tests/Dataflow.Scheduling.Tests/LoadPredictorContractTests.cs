using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Tests;

/// <summary>What every <see cref="ILoadPredictor"/> promises; run against each implementation.</summary>
public abstract class LoadPredictorContractTests
{
    protected abstract ILoadPredictor Create();

    [Fact]
    public void Predict_NoObservations_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Create().Predict(3));
    }

    [Fact]
    public void Predict_HorizonZero_Throws()
    {
        var predictor = Create();
        predictor.Observe(0.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Predict(0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.42)]
    [InlineData(1.0)]
    public void Predict_ConstantSeries_PredictsTheConstant(double level)
    {
        var predictor = Create();
        for (int t = 0; t < 100; t++) predictor.Observe(level);

        var predictions = predictor.Predict(5);

        Assert.Equal(5, predictions.Length);
        Assert.All(predictions, v => Assert.Equal(level, v, 1e-9));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Predict_ShortHistory_ReturnsLastValue(int count)
    {
        var predictor = Create();
        for (int t = 0; t < count; t++) predictor.Observe(0.1 * (t + 1));

        var predictions = predictor.Predict(4);

        Assert.All(predictions, v => Assert.Equal(0.1 * count, v, 1e-9));
    }

    [Fact]
    public void Predict_NoisyUtilization_FiniteAndWithinUnitInterval()
    {
        var predictor = Create();
        var (values, _) = Simulate.TwoRegimes(seed: 4, n: 400, noise: 0.08);
        for (int t = 0; t < values.Length; t++)
        {
            predictor.Observe(values[t]);
            if (t % 7 != 0) continue;
            var predictions = predictor.Predict(10);
            Assert.All(predictions, v => Assert.True(double.IsFinite(v) && v >= 0 && v <= 1, $"prediction {v} at t={t}"));
        }
    }

    [Fact]
    public void Predict_TrendingToSaturation_StaysWithinUnitInterval()
    {
        var predictor = Create();
        for (int t = 0; t < 80; t++) predictor.Observe(Math.Min(1, 0.02 * t));

        Assert.All(predictor.Predict(20), v => Assert.InRange(v, 0, 1));
    }

    [Fact]
    public void Observe_NaN_IsIgnored()
    {
        var predictor = Create();
        predictor.Observe(0.3);
        predictor.Observe(double.NaN);
        predictor.Observe(double.PositiveInfinity);

        Assert.Equal(1, predictor.Count);
        Assert.Equal(0.3, predictor.Predict(1)[0], 1e-9);
    }

    [Fact]
    public void Observe_BeyondWindow_CountStaysBounded()
    {
        var predictor = Create();
        for (int t = 0; t < 500; t++) predictor.Observe(t % 2 == 0 ? 0.2 : 0.3);

        Assert.True(predictor.Count <= 120, $"count {predictor.Count}");
    }

    [Fact]
    public void Reset_AfterObservations_ForgetsThem()
    {
        var predictor = Create();
        for (int t = 0; t < 50; t++) predictor.Observe(0.5 + 0.1 * Math.Sin(t));
        predictor.Reset();

        Assert.Equal(0, predictor.Count);
        Assert.Throws<InvalidOperationException>(() => predictor.Predict(1));
    }

    [Fact]
    public void Predict_PersistentRegimes_OneStepErrorSmallerThanRegimeGap()
    {
        var predictor = Create();
        var (values, levels) = Simulate.TwoRegimes(seed: 8, n: 600);
        double error = 0;
        int count = 0;
        for (int t = 0; t < values.Length - 1; t++)
        {
            predictor.Observe(values[t]);
            if (t < 100) continue;
            error += Math.Abs(predictor.Predict(1)[0] - levels[t + 1]);
            count++;
        }

        // Regimes last 20–60 steps: a useful one-step prediction errs by far less than the 0.75 gap.
        Assert.True(error / count < 0.1, $"mean absolute error {error / count:F3}");
    }
}

public sealed class ArimaPredictorContractTests : LoadPredictorContractTests
{
    protected override ILoadPredictor Create() => new ArimaPredictor();
}

public sealed class SlidingHmmPredictorContractTests : LoadPredictorContractTests
{
    protected override ILoadPredictor Create() => new SlidingHmmPredictor();
}

public sealed class MostLikelySlidingHmmPredictorContractTests : LoadPredictorContractTests
{
    protected override ILoadPredictor Create() => new SlidingHmmPredictor(new SlidingHmmOptions { Mode = HmmPredictionMode.MostLikely });
}
