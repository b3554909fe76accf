using Dataflow.Elasticity.ScaleOut;

namespace Dataflow.Elasticity.Tests;

public class ScaleOutModelTests
{
    /// <summary>The TPC-H Q10 run history in <c>tests/data/scaleout</c> of this repository.</summary>
    private static string History()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Dataflow.sln"))) continue;
            var path = Path.Combine(dir.FullName, "tests", "data", "scaleout", "tpchq10.flink.csv");
            if (!File.Exists(path)) throw new FileNotFoundException($"Reference data file not found: expected {path}", path);
            return path;
        }
        throw new DirectoryNotFoundException($"Dataflow.sln not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Recommend_TpchQ10History_Picks33At467973Ms()
    {
        var (x, y) = ScaleOutAssistant.ReadHistory(History());
        Assert.Equal(105, x.Count);
        var r = ScaleOutAssistant.Recommend(x, y, 4, 60, 480_000);
        Assert.Equal(33, r.ScaleOut);
        Assert.InRange(r.PredictedRuntime, 467_972, 467_974);
        Assert.True(r.MeetsTarget);
    }

    [Fact]
    public void ErnestFit_ExactModelData_RecoversCoefficients()
    {
        var x = Enumerable.Range(1, 40).Select(i => (double)i).ToArray();
        var y = x.Select(v => 5 + 4 * Math.Log(v) + 3 / v + 2 * v).ToArray();
        var m = new ErnestModel();
        m.Fit(x, y);
        // θ0 (1), θ1 (1/x), θ2 (log x), θ3 (x)
        Assert.Equal(5, m.Coefficients[0], 1e-6);
        Assert.Equal(3, m.Coefficients[1], 1e-6);
        Assert.Equal(4, m.Coefficients[2], 1e-6);
        Assert.Equal(2, m.Coefficients[3], 1e-6);
    }

    [Fact]
    public void ErnestFit_DataWantingNegativeCoefficient_ClampsItToZero()
    {
        var x = Enumerable.Range(1, 30).Select(i => (double)i).ToArray();
        var y = x.Select(v => 100 - 2 * v).ToArray();    // needs a negative slope
        var m = new ErnestModel();
        m.Fit(x, y);
        Assert.All(m.Coefficients, c => Assert.True(c >= 0));
        Assert.Equal(0, m.Coefficients[3]);
    }

    [Fact]
    public void KernelRegression_LinearData_IsExact()
    {
        var x = new double[] { 2, 4, 6, 8, 10 };
        var m = new KernelRegressionModel(3);
        m.Fit(x, x.Select(v => 7 + 0.5 * v).ToArray());
        Assert.Equal(7 + 0.5 * 5, m.Predict(5), 1e-9);
    }

    [Fact]
    public void Bell_TwoDistinctScaleOuts_PredictsTheMean()
    {
        var m = new BellModel();
        m.Fit([2, 2, 4], [10, 20, 30]);
        Assert.Null(m.Chosen);
        Assert.Equal(20, m.Predict(3), 1e-12);
    }

    [Fact]
    public void ReadHistory_MalformedRow_ReportsPathAndLine()
    {
        var path = Path.GetTempFileName();
        File.WriteAllLines(path, ["Nodes,Runtime", "4,100", "x,5"]);
        try
        {
            var e = Assert.Throws<Dataflow.InputFormatException>(() => ScaleOutAssistant.ReadHistory(path));
            Assert.StartsWith($"{path}:3:", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
