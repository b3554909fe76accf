using Dataflow.Scheduling.Evaluation;
using Dataflow.Scheduling.Monitoring;

namespace Dataflow.Scheduling.Tests;

public sealed class PredictEvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("predict-eval").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly TraceGeneratorOptions s_small = new() { Workers = 2, BottleneckedWorkers = 1, Samples = 400, Seed = 3 };

    [Theory]
    [InlineData("arima")]
    [InlineData("slidhmm")]
    [InlineData("last")]
    public void Evaluate_GeneratedOnOffTrace_HighHitRateAndRecall(string model)
    {
        var trace = TraceGenerator.Generate(s_small);

        var rows = PredictEval.Evaluate(trace, new PredictEvalOptions { Model = model, Horizon = 3, Metrics = [MetricNames.Cpu] });

        var cpu = Assert.Single(rows, r => r.Metric == MetricNames.Cpu);
        Assert.Equal(2, cpu.Series);
        Assert.True(cpu.Observed > 20, $"observed {cpu.Observed}");
        Assert.True(cpu.HitRate > 0.8, $"hit rate {cpu.HitRate:F3}");
        Assert.True(cpu.Recall > 0.6, $"recall {cpu.Recall:F3}");
        Assert.InRange(cpu.Mae, 0, 0.2);
    }

    [Fact]
    public void Evaluate_NoBottleneckInTrace_NoHitsAndNaNRates()
    {
        var trace = TraceGenerator.Generate(new TraceGeneratorOptions { Workers = 1, BottleneckedWorkers = 0, Samples = 200 });

        var cpu = PredictEval.Evaluate(trace, new PredictEvalOptions { Model = "arima", Metrics = [MetricNames.Cpu] })[0];

        Assert.Equal(0, cpu.Observed);
        Assert.True(double.IsNaN(cpu.Recall));
    }

    [Fact]
    public void Evaluate_HandMadeSeries_CountsByDefinition()
    {
        // last-value predictions over a step from 0.5 to 1.0 at t = 5, horizon 2, warm-up 1:
        // t = 3, 4 see the step coming only in the actuals (observed, not predicted); t ≥ 5 both.
        double[] values = [0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1, 1];
        var trace = values.Select((v, t) => new TracePoint(t, "w", MetricNames.Cpu, v));

        var row = PredictEval.Evaluate(trace, new PredictEvalOptions { Model = "last", Horizon = 2, Warmup = 1 })[0];

        Assert.Equal(7, row.Points);        // t = 0..6
        Assert.Equal(2, row.Predicted);      // t = 5, 6
        Assert.Equal(4, row.Observed);       // t = 3..6
        Assert.Equal(2, row.Hits);
        Assert.Equal(1.0, row.HitRate);
        Assert.Equal(0.5, row.Recall);
    }

    [Fact]
    public void Evaluate_ByteMetric_NormalizedByCapacity()
    {
        var trace = Enumerable.Range(0, 30).Select(t => new TracePoint(t, "w", MetricNames.NetIn, t < 15 ? 10.0 : 95.0));
        var options = new PredictEvalOptions { Model = "last", Horizon = 1 };
        options.Capacities[MetricNames.NetIn] = 100;

        var row = PredictEval.Evaluate(trace, options)[0];

        Assert.True(row.Observed > 0 && row.Hits > 0);
    }

    [Fact]
    public void Run_GeneratedTraceFile_PrintsTableAndExitsZero()
    {
        var path = Path.Combine(_dir, "trace.csv");
        TraceGenerator.Write(path, s_small);
        var output = new StringWriter();
        var error = new StringWriter();

        int code = PredictEval.Run(new PredictEvalOptions { Model = "slidhmm", Horizon = 3, Metrics = ["cpu"] }, path, output, error);

        Assert.Equal(0, code);
        Assert.Equal("", error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("metric") && l.Contains("hit_rate") && l.Contains("recall") && l.Contains("mae"));
        Assert.Contains(lines, l => l.StartsWith("cpu "));
        Assert.Contains(lines, l => l.StartsWith("all "));
    }

    [Fact]
    public void Run_HorizonZero_IsRefusedByValidation()
    {
        Assert.ThrowsAny<ArgumentException>(() => PredictEval.Run(new PredictEvalOptions { Horizon = 0 }, "x.csv", TextWriter.Null, TextWriter.Null));
    }

    [Fact]
    public void Run_MissingTrace_ExitsOneNamingTheFile()
    {
        var error = new StringWriter();
        var path = Path.Combine(_dir, "missing.csv");

        Assert.Equal(1, PredictEval.Run(new PredictEvalOptions { Model = "arima" }, path, TextWriter.Null, error));
        Assert.Contains(path, error.ToString());
    }

    [Fact]
    public void Run_MalformedTrace_ExitsOneWithPathAndLine()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, "time_ms,worker,metric,value\n1,w,cpu,0.5\n2,w,cpu,oops\n");
        var error = new StringWriter();

        Assert.Equal(1, PredictEval.Run(new PredictEvalOptions { Model = "arima" }, path, TextWriter.Null, error));
        Assert.Contains($"{path}:3:", error.ToString());
    }

    [Fact]
    public void Generate_SameSeed_SameTrace()
    {
        Assert.Equal(TraceGenerator.Generate(s_small), TraceGenerator.Generate(s_small));
    }
}
