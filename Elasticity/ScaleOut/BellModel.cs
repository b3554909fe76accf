namespace Dataflow.Elasticity.ScaleOut;

/// <summary>
/// Bell (Thamsen et al., IPCCC 2016): chooses by cross-validation among Ernest and local linear
/// kernel regressions with bandwidths 1..100. Each fold leaves out all runs of one distinct
/// scale-out other than the smallest and the largest; the loss is the mean relative error over the
/// left-out runs; the model with the lowest total loss is refitted on all data. With at most two
/// distinct scale-outs there is nothing to cross-validate and the prediction is the mean runtime.
/// </summary>
public sealed class BellModel : IScaleOutModel
{
    private IScaleOutModel? _chosen;
    private double _mean;

    /// <summary>The chosen model (null when the mean is used).</summary>
    public IScaleOutModel? Chosen => _chosen;

    /// <inheritdoc />
    public void Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException("x and y must be non-empty and of equal length.");
        var xs = x.ToArray();
        var ys = y.ToArray();
        _mean = ys.Average();
        var distinct = xs.Distinct().Order().ToArray();
        if (distinct.Length <= 2)
        {
            _chosen = null;
            return;
        }
        var candidates = Enumerable.Range(1, 100).Select(h => (Func<IScaleOutModel>)(() => new KernelRegressionModel(h)))
            .Append(() => new ErnestModel()).ToArray();
        var loss = new double[candidates.Length];
        foreach (var held in distinct[1..^1])
        {
            var trainX = new List<double>();
            var trainY = new List<double>();
            var testX = new List<double>();
            var testY = new List<double>();
            for (int i = 0; i < xs.Length; i++)
            {
                (xs[i] == held ? testX : trainX).Add(xs[i]);
                (xs[i] == held ? testY : trainY).Add(ys[i]);
            }
            for (int m = 0; m < candidates.Length; m++)
            {
                var model = candidates[m]();
                model.Fit(trainX.ToArray(), trainY.ToArray());
                double e = 0;
                for (int i = 0; i < testX.Count; i++) e += Math.Abs(model.Predict(testX[i]) - testY[i]) / testY[i];
                loss[m] += double.IsNaN(e) ? double.PositiveInfinity : e / testX.Count;
            }
        }
        int best = 0;
        for (int m = 1; m < loss.Length; m++)
        {
            if (loss[m] < loss[best]) best = m;
        }
        _chosen = candidates[best]();
        _chosen.Fit(xs, ys);
    }

    /// <inheritdoc />
    public double Predict(double x) => _chosen?.Predict(x) ?? _mean;
}
