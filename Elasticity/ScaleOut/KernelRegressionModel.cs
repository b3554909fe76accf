namespace Dataflow.Elasticity.ScaleOut;

/// <summary>
/// Local linear regression with a Gaussian kernel: at each query point, a weighted least-squares
/// line with weights <c>exp(-(x - xj)² / (2h²))</c> and a tiny ridge on the 2×2 system.
/// Good at interpolating between observed scale-outs.
/// </summary>
/// <param name="bandwidth">The kernel bandwidth h.</param>
/// <param name="ridge">The ridge added to the diagonal (default: the smallest positive double, only to break exact singularity).</param>
public sealed class KernelRegressionModel(double bandwidth, double ridge = double.Epsilon) : IScaleOutModel
{
    private double[] _x = [];
    private double[] _y = [];

    /// <summary>The bandwidth h.</summary>
    public double Bandwidth { get; } = bandwidth;

    /// <inheritdoc />
    public void Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException("x and y must be non-empty and of equal length.");
        _x = x.ToArray();
        _y = y.ToArray();
    }

    /// <inheritdoc />
    public double Predict(double x)
    {
        double s0 = 0, s1 = 0, s2 = 0, t0 = 0, t1 = 0;
        double twoH2 = 2 * Bandwidth * Bandwidth;
        for (int j = 0; j < _x.Length; j++)
        {
            double d = x - _x[j];
            double w = Math.Exp(-d * d / twoH2);
            s0 += w;
            s1 += w * _x[j];
            s2 += w * _x[j] * _x[j];
            t0 += w * _y[j];
            t1 += w * _x[j] * _y[j];
        }
        var a = new double[,] { { s0 + ridge, s1 }, { s1, s2 + ridge } };
        return SmallLinearAlgebra.TrySolve(a, [t0, t1], out var c) ? c[0] + c[1] * x : double.NaN;
    }
}
