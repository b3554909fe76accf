using System.Globalization;

namespace Dataflow.Elasticity.ScaleOut;

/// <summary>A recommended scale-out and its predicted runtime.</summary>
/// <param name="ScaleOut">The scale-out.</param>
/// <param name="PredictedRuntime">The predicted runtime, in the unit of the history.</param>
/// <param name="MeetsTarget">False when no scale-out in range is predicted under the target (the fastest is returned).</param>
public sealed record ScaleOutRecommendation(int ScaleOut, double PredictedRuntime, bool MeetsTarget);

/// <summary>
/// The allocation assistant for recurring jobs: from the runtimes of earlier runs, predicts the
/// runtime of every scale-out in a range (Bell inside the observed range, Ernest outside it) and
/// picks the smallest one predicted to finish under the target.
/// </summary>
public static class ScaleOutAssistant
{
    /// <summary>Predicted runtimes for each scale-out in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static (int ScaleOut, double Runtime)[] Predict(IReadOnlyList<double> scaleOuts, IReadOnlyList<double> runtimes, int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(min, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        if (scaleOuts.Count == 0 || scaleOuts.Count != runtimes.Count) throw new ArgumentException("The history needs at least one run, with a runtime for each scale-out.");
        var x = scaleOuts.ToArray();
        var y = runtimes.ToArray();
        var bell = new BellModel();
        bell.Fit(x, y);
        var ernest = new ErnestModel();
        ernest.Fit(x, y);
        double lo = x.Min(), hi = x.Max();
        return Enumerable.Range(min, max - min + 1)
            .Select(s => (s, s >= lo && s <= hi ? bell.Predict(s) : ernest.Predict(s)))
            .ToArray();
    }

    /// <summary>The smallest scale-out in range predicted under <paramref name="target"/>, else the fastest.</summary>
    public static ScaleOutRecommendation Recommend(IReadOnlyList<double> scaleOuts, IReadOnlyList<double> runtimes, int min, int max, double target)
    {
        var predictions = Predict(scaleOuts, runtimes, min, max);
        foreach (var (s, r) in predictions)
        {
            if (r < target) return new ScaleOutRecommendation(s, r, true);
        }
        var fastest = predictions.MinBy(p => p.Runtime);
        return new ScaleOutRecommendation(fastest.ScaleOut, fastest.Runtime, false);
    }

    /// <summary>Reads a history CSV (header line, then <c>scale-out,runtime</c> rows); malformed rows are reported as <c>path:line</c>.</summary>
    public static (List<double> ScaleOuts, List<double> Runtimes) ReadHistory(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"History file not found: {path}", path);
        var xs = new List<double>();
        var ys = new List<double>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (line == 1 || string.IsNullOrWhiteSpace(text)) continue;
            var f = text.Split(',');
            if (f.Length < 2
                || !double.TryParse(f[0].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s)
                || !double.TryParse(f[1].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var r)
                || s < 1 || r <= 0)
            {
                throw new Dataflow.InputFormatException(path, line, "expected 'scale-out,runtime' with a scale-out ≥ 1 and a positive runtime");
            }
            xs.Add(s);
            ys.Add(r);
        }
        return (xs, ys);
    }
}
