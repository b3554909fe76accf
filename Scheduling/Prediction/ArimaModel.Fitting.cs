using MathNet.Numerics.LinearAlgebra;

namespace Dataflow.Scheduling.Prediction;

public sealed partial class ArimaModel
{
    // Parameter vector β = [μ (only when d = 0), φ_1..φ_p, θ_1..θ_q].
    private static ArimaModel? Fit(double[] w, int p, int d, int q, int start, int maxIterations, ArimaModel? warmStart)
    {
        bool withMean = d == 0;
        int k = ParameterCount(p, d, q);
        int count = w.Length - start;
        if (start < p || count < k + 3) return null;

        double[]? beta = null;
        if (warmStart is not null)
        {
            beta = Pack(withMean, warmStart.Mean, warmStart._phi, warmStart._theta);
            if (!IsAdmissible(beta, withMean, p, q)) beta = null;
        }
        beta ??= HannanRissanen(w, p, q, start, withMean);
        if (!IsAdmissible(beta, withMean, p, q)) beta = Shrink(beta, withMean, p, q);

        var e = new double[w.Length];
        double sse = ComputeSse(w, start, beta, withMean, p, q, e);
        if (!double.IsFinite(sse)) return null;
        var jacobian = new double[count, k];
        for (int iteration = 0; iteration < maxIterations && k > 0 && sse > 0; iteration++)
        {
            Jacobian(w, start, beta, withMean, p, q, e, jacobian);
            var step = GaussNewtonStep(jacobian, e, start, k);
            double candidateSse = double.NaN;
            double[]? candidate = null;
            for (double scale = 1; scale > 1e-4; scale *= 0.5)
            {
                var trial = new double[k];
                for (int i = 0; i < k; i++) trial[i] = beta[i] + scale * step[i];
                if (!IsAdmissible(trial, withMean, p, q)) continue;
                double s = ComputeSse(w, start, trial, withMean, p, q, e);
                if (double.IsFinite(s) && s <= sse)
                {
                    (candidate, candidateSse) = (trial, s);
                    break;
                }
            }
            if (candidate is null) break;
            double improvement = (sse - candidateSse) / sse;
            (beta, sse) = (candidate, candidateSse);
            if (improvement < 1e-8) break;
        }
        sse = ComputeSse(w, start, beta, withMean, p, q, e);
        return new ArimaModel(p, d, q, withMean ? beta[0] : 0, beta[(withMean ? 1 : 0)..(withMean ? 1 + p : p)], beta[^q..], sse, count);
    }

    private static double[] Pack(bool withMean, double mean, double[] phi, double[] theta) =>
        [.. withMean ? [mean] : Array.Empty<double>(), .. phi, .. theta];

    private static double ComputeSse(double[] w, int start, double[] beta, bool withMean, int p, int q, double[] e)
    {
        int o = withMean ? 1 : 0;
        return Residuals(w, start, withMean ? beta[0] : 0, beta[o..(o + p)], beta[(o + p)..(o + p + q)], e);
    }

    // ∂e_t/∂β by the recursion obtained from differentiating the residual equation:
    // ∂e_t/∂μ = −(1 − Σφ) − Σθ_j ∂e_{t−j}/∂μ, ∂e_t/∂φ_i = −(w_{t−i} − μ) − Σθ_j ∂e_{t−j}/∂φ_i,
    // ∂e_t/∂θ_i = −e_{t−i} − Σθ_j ∂e_{t−j}/∂θ_i; derivatives before the start are zero.
    private static void Jacobian(double[] w, int start, double[] beta, bool withMean, int p, int q, double[] e, double[,] jacobian)
    {
        int o = withMean ? 1 : 0, k = beta.Length;
        double mean = withMean ? beta[0] : 0, phiSum = 0;
        for (int i = 0; i < p; i++) phiSum += beta[o + i];
        for (int t = start; t < w.Length; t++)
        {
            int row = t - start;
            for (int c = 0; c < k; c++)
            {
                double v = c < o ? -(1 - phiSum)
                    : c < o + p ? -(w[t - (c - o + 1)] - mean)
                    : -(t - (c - o - p + 1) >= start ? e[t - (c - o - p + 1)] : 0);
                for (int j = 1; j <= q && row - j >= 0; j++) v -= beta[o + p + j - 1] * jacobian[row - j, c];
                jacobian[row, c] = v;
            }
        }
    }

    // Solves (JᵀJ + ridge) δ = −Jᵀe; forming the k × k normal equations directly avoids copying J (k ≤ 6 here).
    private static double[] GaussNewtonStep(double[,] jacobian, double[] e, int start, int k)
    {
        var jtj = Matrix<double>.Build.Dense(k, k);
        var jte = Vector<double>.Build.Dense(k);
        int rows = jacobian.GetLength(0);
        for (int r = 0; r < rows; r++)
        {
            for (int a = 0; a < k; a++)
            {
                double ja = jacobian[r, a];
                jte[a] -= ja * e[start + r];
                for (int b = 0; b <= a; b++) jtj[a, b] += ja * jacobian[r, b];
            }
        }
        double ridge = 0;
        for (int a = 0; a < k; a++)
        {
            for (int b = 0; b < a; b++) jtj[b, a] = jtj[a, b];
            ridge += jtj[a, a];
        }
        ridge = 1e-10 * Math.Max(ridge, 1e-12) / k;
        for (int a = 0; a < k; a++) jtj[a, a] += ridge;
        return jtj.Cholesky().Solve(jte).ToArray();
    }

    private static double[] HannanRissanen(double[] w, int p, int q, int start, bool withMean)
    {
        int o = withMean ? 1 : 0;
        var beta = new double[o + p + q];
        double mean = 0;
        for (int t = start; t < w.Length; t++) mean += w[t];
        mean /= Math.Max(1, w.Length - start);
        if (withMean) beta[0] = mean;
        if (p + q == 0) return beta;

        // Innovations: residuals of a long autoregression (none needed when q = 0).
        var innovations = new double[w.Length];
        int first = start;
        if (q > 0)
        {
            int m = Math.Clamp((int)Math.Round(2 * Math.Log(w.Length)), p + q + 1, Math.Max(p + q + 1, (w.Length - start) / 4));
            int rows = w.Length - Math.Max(m, start);
            if (rows < m + 4) return beta;
            var ar = Lagged(w, Math.Max(m, start), rows, m, mean, null, 0, withIntercept: true);
            var coefficients = SolveLeastSquares(ar, Target(w, Math.Max(m, start), rows, mean));
            var fitted = ar * coefficients;
            for (int r = 0; r < rows; r++) innovations[Math.Max(m, start) + r] = w[Math.Max(m, start) + r] - mean - fitted[r];
            first = Math.Max(m, start) + q;
        }
        int n = w.Length - first;
        if (n < p + q + 4) return beta;
        var x = Lagged(w, first, n, p, mean, innovations, q, withIntercept: withMean);
        var b = SolveLeastSquares(x, Target(w, first, n, mean));
        for (int i = 0; i < p + q; i++) beta[o + i] = b[i + o];
        if (withMean) beta[0] = mean + b[0] / Math.Max(1e-3, 1 - beta[o..(o + p)].Sum());
        return beta;
    }

    // Rows t = first..first+rows−1 of [1?, w_{t−1}−μ..w_{t−lags}−μ, e_{t−1}..e_{t−q}].
    private static Matrix<double> Lagged(double[] w, int first, int rows, int lags, double mean, double[]? innovations, int q, bool withIntercept)
    {
        int o = withIntercept ? 1 : 0;
        var x = Matrix<double>.Build.Dense(rows, o + lags + q);
        for (int r = 0; r < rows; r++)
        {
            int t = first + r;
            if (withIntercept) x[r, 0] = 1;
            for (int i = 1; i <= lags; i++) x[r, o + i - 1] = w[t - i] - mean;
            for (int j = 1; j <= q; j++) x[r, o + lags + j - 1] = innovations![t - j];
        }
        return x;
    }

    private static Vector<double> Target(double[] w, int first, int rows, double mean) =>
        Vector<double>.Build.Dense(rows, r => w[first + r] - mean);

    // Pulls the polynomial coefficients toward zero until the model is stationary and invertible.
    private static double[] Shrink(double[] beta, bool withMean, int p, int q)
    {
        int o = withMean ? 1 : 0;
        var shrunk = (double[])beta.Clone();
        for (int attempt = 0; attempt < 60 && !IsAdmissible(shrunk, withMean, p, q); attempt++)
        {
            for (int i = o; i < shrunk.Length; i++) shrunk[i] *= 0.9;
        }
        if (!IsAdmissible(shrunk, withMean, p, q)) Array.Clear(shrunk, o, shrunk.Length - o);
        return shrunk;
    }

    private static bool IsAdmissible(double[] beta, bool withMean, int p, int q)
    {
        int o = withMean ? 1 : 0;
        foreach (var v in beta)
        {
            if (!double.IsFinite(v)) return false;
        }
        // AR: roots of z^p − φ_1 z^{p−1} − … − φ_p inside the unit circle; MA: those of z^q + θ_1 z^{q−1} + … + θ_q.
        return SpectralRadius(beta.AsSpan(o, p), 1) < MaxRoot && SpectralRadius(beta.AsSpan(o + p, q), -1) < MaxRoot;
    }

    private const double MaxRoot = 0.998;

    // Largest eigenvalue modulus of the companion matrix whose first row is sign × coefficients.
    private static double SpectralRadius(ReadOnlySpan<double> coefficients, double sign)
    {
        int k = coefficients.Length;
        if (k == 0) return 0;
        if (k == 1) return Math.Abs(coefficients[0]);
        if (k == 2)
        {
            // Roots of z² − c₁z − c₂: real when the discriminant is non-negative, else a conjugate pair of modulus √(−c₂).
            double c1 = sign * coefficients[0], c2 = sign * coefficients[1], discriminant = c1 * c1 + 4 * c2;
            return discriminant >= 0 ? (Math.Abs(c1) + Math.Sqrt(discriminant)) / 2 : Math.Sqrt(-c2);
        }
        var companion = Matrix<double>.Build.Dense(k, k);
        for (int i = 0; i < k; i++) companion[0, i] = sign * coefficients[i];
        for (int i = 1; i < k; i++) companion[i, i - 1] = 1;
        return companion.Evd().EigenValues.Max(z => z.Magnitude);
    }
}
