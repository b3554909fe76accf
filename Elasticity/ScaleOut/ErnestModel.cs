namespace Dataflow.Elasticity.ScaleOut;

/// <summary>
/// Ernest (Venkataraman et al., NSDI 2016): <c>t(x) = θ0 + θ1/x + θ2·log x + θ3·x</c> with θ ≥ 0,
/// fitted by non-negative least squares. Good at extrapolating beyond the observed scale-outs.
/// </summary>
/// <remarks>
/// With four coefficients the exact NNLS solution is found by enumeration: the optimum equals the
/// unconstrained least-squares fit on its support, so the best feasible fit over the 16 supports is
/// the optimum (no iterative tolerance involved).
/// </remarks>
public sealed class ErnestModel : IScaleOutModel
{
    private const int Features = 4;

    /// <summary>The fitted coefficients θ0..θ3 (all ≥ 0).</summary>
    public double[] Coefficients { get; private set; } = new double[Features];

    private static void FeaturesOf(double x, Span<double> f)
    {
        f[0] = 1;
        f[1] = 1 / x;
        f[2] = Math.Log(x);
        f[3] = x;
    }

    /// <inheritdoc />
    public void Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length || x.Length == 0) throw new ArgumentException("x and y must be non-empty and of equal length.");
        var rows = new double[x.Length][];
        for (int i = 0; i < x.Length; i++)
        {
            rows[i] = new double[Features];
            FeaturesOf(x[i], rows[i]);
        }
        double bestLoss = double.PositiveInfinity;
        double[] best = new double[Features];
        for (int support = 1; support < 1 << Features; support++)
        {
            var cols = Enumerable.Range(0, Features).Where(j => (support >> j & 1) != 0).ToArray();
            var ata = new double[cols.Length, cols.Length];
            var aty = new double[cols.Length];
            for (int i = 0; i < rows.Length; i++)
            {
                for (int p = 0; p < cols.Length; p++)
                {
                    aty[p] += rows[i][cols[p]] * y[i];
                    for (int q = 0; q < cols.Length; q++) ata[p, q] += rows[i][cols[p]] * rows[i][cols[q]];
                }
            }
            if (!SmallLinearAlgebra.TrySolve(ata, aty, out var c) || c.Any(v => v < 0)) continue;
            var theta = new double[Features];
            for (int p = 0; p < cols.Length; p++) theta[cols[p]] = c[p];
            double loss = 0;
            for (int i = 0; i < rows.Length; i++)
            {
                double e = Dot(rows[i], theta) - y[i];
                loss += e * e;
            }
            if (loss < bestLoss)
            {
                bestLoss = loss;
                best = theta;
            }
        }
        Coefficients = best;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <inheritdoc />
    public double Predict(double x)
    {
        Span<double> f = stackalloc double[Features];
        FeaturesOf(x, f);
        double s = 0;
        for (int i = 0; i < Features; i++) s += f[i] * Coefficients[i];
        return s;
    }
}
