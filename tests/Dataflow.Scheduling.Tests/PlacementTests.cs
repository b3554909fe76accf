using Dataflow.Runtime.Extensibility;
using Dataflow.Scheduling.Monitoring;
using Dataflow.Scheduling.Placement;
using Dataflow.Scheduling.Prediction;

namespace Dataflow.Scheduling.Tests;

using Placement = Dataflow.Runtime.Extensibility.Placement;

/// <summary>What every placement policy promises.</summary>
public abstract class PlacementPolicyContractTests
{
    protected static readonly WorkerInfo[] s_workers = [new("w0", 2), new("w1", 2), new("w2", 2)];

    protected abstract IExplainedPlacementPolicy Create();

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(9)]
    public void Place_AnyParallelism_EverySubtaskOnAnAvailableWorker(int parallelism)
    {
        var placement = Create().Place("v", parallelism, s_workers, current: null);

        Assert.Equal(parallelism, placement.Workers.Count);
        Assert.All(placement.Workers, w => Assert.Contains(s_workers, x => x.Id == w));
    }

    [Fact]
    public void Place_NoPrevious_SpreadsOverSlots()
    {
        var placement = Create().Place("v", 6, s_workers, current: null);

        Assert.All(s_workers, w => Assert.Equal(2, placement.Workers.Count(x => x == w.Id)));
    }

    [Fact]
    public void Explain_Always_OneAssignmentPerSubtaskWithReason()
    {
        var e = Create().Explain("v", 4, s_workers, new Placement(["w2", "w2", "w1", "w0"]));

        Assert.Equal([0, 1, 2, 3], e.Assignments.Select(a => a.Subtask));
        Assert.All(e.Assignments, a => Assert.False(string.IsNullOrWhiteSpace(a.Reason)));
        Assert.Equal(e.ToPlacement().Workers, e.Assignments.Select(a => a.Worker));
    }

    [Fact]
    public void Place_PreviousWorkerGone_MovesOnlyItsSubtasks()
    {
        var placement = Create().Place("v", 3, s_workers, new Placement(["w0", "gone", "w2"]));

        Assert.Equal("w0", placement.Workers[0]);
        Assert.Equal("w2", placement.Workers[2]);
        Assert.Contains(placement.Workers[1], s_workers.Select(w => w.Id));
    }

    [Fact]
    public void Place_NoWorkers_Throws()
    {
        Assert.Throws<ArgumentException>(() => Create().Place("v", 2, [], null));
    }
}

public sealed class LocalityPlacementPolicyTests : PlacementPolicyContractTests
{
    protected override IExplainedPlacementPolicy Create() => new LocalityPlacementPolicy();

    [Fact]
    public void Place_PreviousPlacement_KeepsEverySubtaskLocal()
    {
        var previous = new Placement(["w2", "w0", "w2", "w1"]);

        var e = Create().Explain("v", 4, s_workers, previous);

        Assert.Equal(previous.Workers, e.ToPlacement().Workers);
        Assert.All(e.Assignments, a => Assert.True(a.Local));
    }

    [Fact]
    public void Place_PreferredWorkerFull_OverflowGoesToLeastLoaded()
    {
        var placement = Create().Place("v", 3, s_workers, new Placement(["w0", "w0", "w0"]));

        Assert.Equal(2, placement.Workers.Count(w => w == "w0"));
        Assert.Equal("w1", placement.Workers[2]);
    }
}

public sealed class BottleneckAwarePlacementPolicyTests : PlacementPolicyContractTests
{
    protected override IExplainedPlacementPolicy Create() => new BottleneckAwarePlacementPolicy(FixedLoadForecast.FromLoads([]));

    private static BottleneckAwarePlacementPolicy With(params (string, double)[] loads) => new(FixedLoadForecast.FromLoads(loads));

    [Fact]
    public void Place_NoPrediction_SameAsLocality()
    {
        var previous = new Placement(["w2", "w0", "w2", "w1", "w0"]);

        var aware = Create().Place("v", 5, s_workers, previous);
        var locality = new LocalityPlacementPolicy().Place("v", 5, s_workers, previous);

        Assert.Equal(locality.Workers, aware.Workers);
    }

    [Fact]
    public void Place_PreferredWorkerPredictedBottleneck_MovesToIdleWorker()
    {
        var policy = With(("w0", 0.97), ("w1", 0.2), ("w2", 0.5));

        var e = policy.Explain("v", 2, s_workers, new Placement(["w0", "w0"]));

        Assert.DoesNotContain("w0", e.ToPlacement().Workers);
        Assert.Contains("bottleneck", e.Assignments[0].Reason);
        Assert.Equal(0.97, e.Predictions["w0"].PredictedLoad);
    }

    [Fact]
    public void Place_PreferredWorkerModeratelyLoaded_StaysLocal()
    {
        var policy = With(("w0", 0.6), ("w1", 0.1), ("w2", 0.1));

        var placement = policy.Place("v", 2, s_workers, new Placement(["w0", "w0"]));

        Assert.Equal(["w0", "w0"], placement.Workers);
    }

    [Fact]
    public void Place_AllOthersFull_BottleneckedWorkerTakesTheRest()
    {
        var policy = With(("w0", 0.95), ("w1", 0.1), ("w2", 0.1));

        var placement = policy.Place("v", 6, s_workers, current: null);

        Assert.Equal(2, placement.Workers.Count(w => w == "w1"));
        Assert.Equal(2, placement.Workers.Count(w => w == "w2"));
        Assert.Equal(2, placement.Workers.Count(w => w == "w0"));
    }

    [Fact]
    public void Place_NewWork_PrefersLessLoadedWorkers()
    {
        var policy = With(("w0", 0.8), ("w1", 0.1), ("w2", 0.4));

        var placement = policy.Place("v", 2, s_workers, current: null);

        Assert.Equal(["w1", "w1"], placement.Workers);
    }

    [Fact]
    public void Place_HistoryWithRecordedBottleneck_AvoidsThatWorker()
    {
        // A recorded history: w0 saturated for the last 40 samples, w1 and w2 idle-ish.
        var history = new MetricHistory();
        var random = new Random(1);
        for (int t = 0; t < 80; t++)
        {
            history.Add("w0", MetricNames.Cpu, t * 500, t < 40 ? 0.3 + 0.05 * random.NextDouble() : 0.95 + 0.04 * random.NextDouble());
            history.Add("w1", MetricNames.Cpu, t * 500, 0.2 + 0.05 * random.NextDouble());
            history.Add("w2", MetricNames.Cpu, t * 500, 0.3 + 0.05 * random.NextDouble());
        }
        foreach (var name in LoadPredictors.Names)
        {
            var forecast = new HistoryLoadForecast(history, LoadPredictors.Factory(name));
            var policy = new BottleneckAwarePlacementPolicy(forecast);

            var e = policy.Explain("v", 3, s_workers, new Placement(["w0", "w1", "w2"]));

            Assert.True(e.Predictions["w0"].Bottleneck, name);
            Assert.False(e.Predictions["w1"].Bottleneck, name);
            Assert.DoesNotContain("w0", e.ToPlacement().Workers);
            Assert.Equal("w1", e.ToPlacement().Workers[1]);
            Assert.Equal("w2", e.ToPlacement().Workers[2]);
        }
    }

    [Fact]
    public void Create_ByName_ReturnsPolicies()
    {
        Assert.IsType<LocalityPlacementPolicy>(PlacementPolicies.Create("locality"));
        Assert.IsType<BottleneckAwarePlacementPolicy>(PlacementPolicies.Create("bottleneck-aware", FixedLoadForecast.FromLoads([])));
        Assert.Throws<ArgumentException>(() => PlacementPolicies.Create("bottleneck-aware"));
        Assert.Throws<ArgumentException>(() => PlacementPolicies.Create("random"));
    }
}

public sealed class HistoryLoadForecastTests
{
    [Fact]
    public void TryGetForecast_TooLittleHistory_False()
    {
        var history = new MetricHistory();
        for (int t = 0; t < 5; t++) history.Add("w0", MetricNames.Cpu, t, 0.5);

        var forecast = new HistoryLoadForecast(history, LoadPredictors.Factory("arima"));

        Assert.False(forecast.TryGetForecast("w0", out _));
        Assert.False(forecast.TryGetForecast("unknown", out _));
    }

    [Fact]
    public void TryGetForecast_NewPointsAfterFirstCall_AreFedOnce()
    {
        var history = new MetricHistory();
        var forecast = new HistoryLoadForecast(history, LoadPredictors.Factory("slidhmm"));
        for (int t = 0; t < 30; t++) history.Add("w0", MetricNames.Cpu, t, 0.2);
        Assert.True(forecast.TryGetForecast("w0", out var before));
        for (int t = 30; t < 60; t++) history.Add("w0", MetricNames.Cpu, t, 0.97);

        Assert.True(forecast.TryGetForecast("w0", out var after));

        Assert.False(before.Bottleneck);
        Assert.True(after.Bottleneck, $"predicted {after.PredictedLoad}");
    }

    [Fact]
    public void Constructor_ByteMetricWithoutCapacity_Throws()
    {
        var options = new LoadForecastOptions { Metrics = [MetricNames.NetIn] };
        Assert.Throws<ArgumentException>(() => new HistoryLoadForecast(new MetricHistory(), LoadPredictors.Factory("arima"), options));
    }
}
