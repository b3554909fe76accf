namespace Dataflow.Elasticity.ScaleOut;

/// <summary>A model of runtime as a function of scale-out, fitted on observed runs.</summary>
public interface IScaleOutModel
{
    /// <summary>Fits the model to runtimes <paramref name="y"/> observed at scale-outs <paramref name="x"/>.</summary>
    void Fit(ReadOnlySpan<double> x, ReadOnlySpan<double> y);

    /// <summary>The predicted runtime at scale-out <paramref name="x"/>.</summary>
    double Predict(double x);
}

/// <summary>Small dense linear algebra for the models (systems of at most 4 unknowns).</summary>
internal static class SmallLinearAlgebra
{
    /// <summary>Solves <c>A c = b</c> by Gaussian elimination with partial pivoting; false if singular.</summary>
    public static bool TrySolve(double[,] a, double[] b, out double[] c)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var r = (double[])b.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int i = col + 1; i < n; i++)
            {
                if (Math.Abs(m[i, col]) > Math.Abs(m[pivot, col])) pivot = i;
            }
            if (m[pivot, col] == 0 || !double.IsFinite(m[pivot, col]))
            {
                c = [];
                return false;
            }
            if (pivot != col)
            {
                for (int j = 0; j < n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
                (r[col], r[pivot]) = (r[pivot], r[col]);
            }
            for (int i = col + 1; i < n; i++)
            {
                double f = m[i, col] / m[col, col];
                if (f == 0) continue;
                for (int j = col; j < n; j++) m[i, j] -= f * m[col, j];
                r[i] -= f * r[col];
            }
        }
        c = new double[n];
        for (int i = n - 1; i >= 0; i--)
        {
            double s = r[i];
            for (int j = i + 1; j < n; j++) s -= m[i, j] * c[j];
            c[i] = s / m[i, i];
        }
        return c.All(double.IsFinite);
    }
}
