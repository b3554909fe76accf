namespace Dataflow.Scheduling.Tests;

/// <summary>Seeded series generators for the predictor tests.</summary>
internal static class Simulate
{
    public static double Gaussian(Random random)
    {
        // Box–Muller; 1 − NextDouble() is in (0, 1], so the logarithm is finite.
        double u = 1 - random.NextDouble(), v = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v);
    }

    /// <summary>ARMA(p, q): x_t = μ + Σ φ_i (x_{t−i} − μ) + ε_t + Σ θ_j ε_{t−j}, after a burn-in of 200 values.</summary>
    public static double[] Arma(int seed, int n, double[] phi, double[] theta, double mean = 0, double sigma = 1)
    {
        var random = new Random(seed);
        const int burnIn = 200;
        var x = new double[n + burnIn];
        var e = new double[n + burnIn];
        for (int t = 0; t < x.Length; t++)
        {
            e[t] = sigma * Gaussian(random);
            double v = e[t];
            for (int i = 1; i <= phi.Length && t - i >= 0; i++) v += phi[i - 1] * (x[t - i] - mean);
            for (int j = 1; j <= theta.Length && t - j >= 0; j++) v += theta[j - 1] * e[t - j];
            x[t] = mean + v;
        }
        return x[burnIn..];
    }

    /// <summary>Two regimes (low ≈ <paramref name="low"/>, high ≈ <paramref name="high"/>) switching after runs of 20–60 steps; returns the values and the regime means.</summary>
    public static (double[] Values, double[] Levels) TwoRegimes(int seed, int n, double low = 0.2, double high = 0.95, double noise = 0.03)
    {
        var random = new Random(seed);
        var values = new double[n];
        var levels = new double[n];
        bool isHigh = false;
        int left = random.Next(20, 61);
        for (int t = 0; t < n; t++)
        {
            if (left-- == 0)
            {
                isHigh = !isHigh;
                left = random.Next(20, 61);
            }
            levels[t] = isHigh ? high : low;
            values[t] = Math.Clamp(levels[t] + noise * Gaussian(random), 0, 1);
        }
        return (values, levels);
    }
}
