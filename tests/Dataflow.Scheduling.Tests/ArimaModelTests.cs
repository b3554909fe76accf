using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Tests;

public sealed class ArimaModelTests
{
    [Fact]
    public void Fit_SimulatedAr2_RecoversCoefficients()
    {
        var x = Simulate.Arma(seed: 7, n: 5000, phi: [0.6, -0.3], theta: [], mean: 0.5, sigma: 0.05);

        var model = ArimaModel.Fit(x, p: 2, d: 0, q: 0);

        Assert.Equal(0.6, model.Phi[0], 0.05);
        Assert.Equal(-0.3, model.Phi[1], 0.05);
        Assert.Equal(0.5, model.Mean, 0.01);
        Assert.Equal(0.05 * 0.05, model.Sigma2, 0.0005);
    }

    [Fact]
    public void Fit_SimulatedArma11_RecoversCoefficients()
    {
        var x = Simulate.Arma(seed: 11, n: 5000, phi: [0.5], theta: [0.4]);

        var model = ArimaModel.Fit(x, p: 1, d: 0, q: 1);

        Assert.Equal(0.5, model.Phi[0], 0.05);
        Assert.Equal(0.4, model.Theta[0], 0.05);
        Assert.Equal(1.0, model.Sigma2, 0.1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Fit_SimulatedArma11_RecoversCoefficientsAcrossSeeds(int seed)
    {
        var x = Simulate.Arma(seed, n: 5000, phi: [0.5], theta: [0.4]);

        var model = ArimaModel.Fit(x, p: 1, d: 0, q: 1);

        Assert.Equal(0.5, model.Phi[0], 0.05);
        Assert.Equal(0.4, model.Theta[0], 0.05);
    }

    [Fact]
    public void SelectByAic_Ar2Series_PicksAutoregressiveOrderTwo()
    {
        var x = Simulate.Arma(seed: 3, n: 1000, phi: [0.6, -0.3], theta: []);

        var model = ArimaModel.SelectByAic(x, maxP: 3, maxD: 1, maxQ: 2);

        Assert.Equal(0, model.D);
        Assert.True(model.P >= 2, model.ToString());
    }

    [Fact]
    public void SelectByAic_RandomWalk_Differences()
    {
        var steps = Simulate.Arma(seed: 5, n: 500, phi: [], theta: []);
        var walk = new double[steps.Length];
        double sum = 0;
        for (int t = 0; t < steps.Length; t++) walk[t] = sum += steps[t];

        var model = ArimaModel.SelectByAic(walk, maxP: 3, maxD: 1, maxQ: 2);

        Assert.Equal(1, model.D);
    }

    [Fact]
    public void Forecast_Ar1_DecaysTowardMean()
    {
        var x = Simulate.Arma(seed: 9, n: 1000, phi: [0.8], theta: [], mean: 0.4, sigma: 0.02);
        var model = ArimaModel.Fit(x, 1, 0, 0);
        var series = x.Append(0.6).ToArray();
        var forecast = new double[30];

        model.Forecast(series, forecast);

        Assert.Equal(model.Mean + model.Phi[0] * (0.6 - model.Mean), forecast[0], 1e-9);
        Assert.True(Math.Abs(forecast[^1] - model.Mean) < 0.01);
    }

    [Fact]
    public void Fit_TooShortSeries_Throws()
    {
        Assert.Throws<ArgumentException>(() => ArimaModel.Fit([1.0, 2.0, 3.0], 2, 0, 1));
    }
}
