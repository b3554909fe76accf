using MathNet.Numerics.LinearAlgebra;

namespace Dataflow.Scheduling.Prediction;

/// <summary>
/// A fitted ARIMA(p, d, q) model: the d-times differenced series w follows
/// w_t − μ = Σ φ_i (w_{t−i} − μ) + ε_t + Σ θ_j ε_{t−j}, with μ estimated only when d = 0.
/// </summary>
/// <remarks>
/// Fitting minimizes the conditional sum of squares (residuals before the first usable time are
/// taken as zero): Hannan–Rissanen regressions give the starting point (a long autoregression
/// estimates the innovations, then w is regressed on its lags and the estimated innovations), and
/// Gauss–Newton iterations with step halving refine it, keeping the model stationary and invertible.
/// </remarks>
public sealed partial class ArimaModel
{
    private readonly double[] _phi;
    private readonly double[] _theta;

    private ArimaModel(int p, int d, int q, double mean, double[] phi, double[] theta, double sse, int effectiveCount)
    {
        (P, D, Q, Mean, _phi, _theta, Sse, EffectiveCount) = (p, d, q, mean, phi, theta, sse, effectiveCount);
    }

    /// <summary>Autoregressive order.</summary>
    public int P { get; }

    /// <summary>Differencing order.</summary>
    public int D { get; }

    /// <summary>Moving-average order.</summary>
    public int Q { get; }

    /// <summary>Mean μ of the differenced series (0 when <see cref="D"/> &gt; 0).</summary>
    public double Mean { get; }

    /// <summary>Autoregressive coefficients φ_1..φ_p.</summary>
    public IReadOnlyList<double> Phi => _phi;

    /// <summary>Moving-average coefficients θ_1..θ_q.</summary>
    public IReadOnlyList<double> Theta => _theta;

    /// <summary>Conditional sum of squared residuals at the fit.</summary>
    public double Sse { get; }

    /// <summary>Number of residuals in <see cref="Sse"/>.</summary>
    public int EffectiveCount { get; }

    /// <summary>Innovation variance estimate, <see cref="Sse"/> / <see cref="EffectiveCount"/>.</summary>
    public double Sigma2 => Sse / EffectiveCount;

    /// <summary>Akaike's information criterion of the conditional Gaussian likelihood: n ln(SSE / n) + 2 (parameters + 1).</summary>
    public double Aic => EffectiveCount * Math.Log(Math.Max(Sse, 1e-12 * EffectiveCount) / EffectiveCount) + 2 * (ParameterCount(P, D, Q) + 1);

    /// <inheritdoc />
    public override string ToString() =>
        $"ARIMA({P},{D},{Q}) μ={Mean:G4} φ=[{string.Join(", ", _phi.Select(v => v.ToString("G4")))}] θ=[{string.Join(", ", _theta.Select(v => v.ToString("G4")))}] AIC={Aic:G6}";

    /// <summary>Fits ARIMA(<paramref name="p"/>, <paramref name="d"/>, <paramref name="q"/>) to the whole <paramref name="series"/>.</summary>
    /// <exception cref="ArgumentException">The series is too short for the orders.</exception>
    public static ArimaModel Fit(ReadOnlySpan<double> series, int p, int d, int q, int maxIterations = 25) =>
        Fit(Difference(series, d), p, d, q, start: p, maxIterations, warmStart: null)
        ?? throw new ArgumentException($"A series of {series.Length} values is too short for ARIMA({p},{d},{q}).", nameof(series));

    /// <summary>
    /// Fits every order with p ≤ <paramref name="maxP"/>, d ≤ <paramref name="maxD"/>, q ≤ <paramref name="maxQ"/>
    /// and returns the one with the smallest AIC.
    /// </summary>
    /// <remarks>
    /// All candidates are scored on the same time points (those after the first maxP + maxD values), so
    /// that their AICs compare one-step prediction errors of the same observations, across d too.
    /// </remarks>
    /// <exception cref="ArgumentException">The series is too short for even a mean.</exception>
    public static ArimaModel SelectByAic(ReadOnlySpan<double> series, int maxP, int maxD, int maxQ, int maxIterations = 25)
    {
        ArimaModel? best = null;
        for (int d = 0; d <= maxD; d++)
        {
            var w = Difference(series, d);
            int start = maxP + maxD - d;
            for (int p = 0; p <= maxP; p++)
            {
                for (int q = 0; q <= maxQ; q++)
                {
                    var model = Fit(w, p, d, q, start, maxIterations, warmStart: null);
                    if (model is not null && (best is null || model.Aic < best.Aic)) best = model;
                }
            }
        }
        return best ?? Fit(series, 0, 0, 0, maxIterations);
    }

    /// <summary>Re-estimates the coefficients of this model's orders on <paramref name="series"/>, starting from the current ones.</summary>
    /// <returns>The refitted model, or this one when the series is too short.</returns>
    public ArimaModel Refit(ReadOnlySpan<double> series, int maxIterations = 25) =>
        Fit(Difference(series, D), P, D, Q, start: P, maxIterations, warmStart: this) ?? this;

    /// <summary>Forecasts the values following <paramref name="series"/> (the series the model describes, undifferenced).</summary>
    /// <remarks>Future innovations are taken as zero; the differenced forecasts are summed back d times.</remarks>
    public void Forecast(ReadOnlySpan<double> series, Span<double> destination)
    {
        if (series.Length == 0) throw new ArgumentException("The series is empty.", nameof(series));
        var levels = new double[D + 1][];
        levels[0] = series.ToArray();
        for (int k = 1; k <= D; k++) levels[k] = Difference(levels[k - 1], 1);
        var w = levels[D];
        if (w.Length <= P)
        {
            destination.Fill(series[^1]);
            return;
        }
        int n = w.Length, h = destination.Length;
        var e = new double[n + h];
        Residuals(w, P, Mean, _phi, _theta, e);
        var future = new double[n + h];
        w.CopyTo(future, 0);
        for (int t = n; t < n + h; t++)
        {
            double v = Mean;
            for (int i = 1; i <= P; i++) v += _phi[i - 1] * (future[t - i] - Mean);
            for (int j = 1; j <= Q; j++) v += _theta[j - 1] * e[t - j];
            future[t] = v;
        }
        var forecast = future.AsSpan(n, h).ToArray();
        for (int k = D - 1; k >= 0; k--)
        {
            double last = levels[k][^1];
            for (int t = 0; t < h; t++)
            {
                last += forecast[t];
                forecast[t] = last;
            }
        }
        forecast.CopyTo(destination);
    }

    /// <summary>The <paramref name="d"/>-th difference of <paramref name="series"/> (a copy when d = 0).</summary>
    internal static double[] Difference(ReadOnlySpan<double> series, int d)
    {
        var w = series.ToArray();
        for (int k = 0; k < d; k++)
        {
            if (w.Length == 0) break;
            var next = new double[w.Length - 1];
            for (int t = 0; t < next.Length; t++) next[t] = w[t + 1] - w[t];
            w = next;
        }
        return w;
    }

    private static int ParameterCount(int p, int d, int q) => p + q + (d == 0 ? 1 : 0);

    // Residuals e_t for t ≥ start (zero before), returning their sum of squares.
    private static double Residuals(double[] w, int start, double mean, double[] phi, double[] theta, double[] e)
    {
        double sse = 0;
        Array.Clear(e);
        for (int t = start; t < w.Length; t++)
        {
            double v = w[t] - mean;
            for (int i = 1; i <= phi.Length; i++) v -= phi[i - 1] * (w[t - i] - mean);
            for (int j = 1; j <= theta.Length && t - j >= start; j++) v -= theta[j - 1] * e[t - j];
            e[t] = v;
            sse += v * v;
        }
        return sse;
    }

    private static Vector<double> SolveLeastSquares(Matrix<double> x, Vector<double> y)
    {
        // Normal equations with a tiny ridge: the systems are small (≤ 13 columns) and the ridge keeps
        // them solvable when a column is constant or two are collinear (short or flat windows).
        var xtx = x.TransposeThisAndMultiply(x);
        double ridge = 1e-10 * Math.Max(xtx.Trace(), 1e-12) / xtx.RowCount;
        for (int i = 0; i < xtx.RowCount; i++) xtx[i, i] += ridge;
        return xtx.Cholesky().Solve(x.TransposeThisAndMultiply(y));
    }
}
