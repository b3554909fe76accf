using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Tests;

public sealed class BottleneckDetectorTests
{
    [Fact]
    public void IsBottleneck_ValueAtThreshold_True()
    {
        Assert.True(new BottleneckDetector(0.9).IsBottleneck([0.1, 0.9, 0.2]));
    }

    [Fact]
    public void IsBottleneck_AllBelow_False()
    {
        Assert.False(new BottleneckDetector().IsBottleneck([0.1, 0.89, 0.2]));
    }

    [Fact]
    public void FirstBottleneck_SeveralAbove_ReturnsFirstIndex()
    {
        Assert.Equal(2, new BottleneckDetector(0.5).FirstBottleneck([0.1, 0.2, 0.6, 0.7]));
    }

    [Fact]
    public void IsBottleneck_PredictorWithoutObservations_False()
    {
        Assert.False(new BottleneckDetector().IsBottleneck(new ArimaPredictor(), 5));
    }

    [Fact]
    public void Factory_UnknownName_Throws()
    {
        Assert.Throws<ArgumentException>(() => LoadPredictors.Factory("lstm"));
    }

    [Theory]
    [InlineData("arima", typeof(ArimaPredictor))]
    [InlineData("slidhmm", typeof(SlidingHmmPredictor))]
    public void Create_KnownName_ReturnsPredictor(string name, Type type)
    {
        Assert.IsType(type, LoadPredictors.Create(name));
    }
}
