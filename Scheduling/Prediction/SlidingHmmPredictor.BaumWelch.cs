namespace Dataflow.Scheduling.Prediction;

public sealed partial class SlidingHmmPredictor
{
    /// <summary>Expected counts of one window, per observation, so that windows of any length blend on one scale.</summary>
    private sealed class Counts(int n)
    {
        public readonly double[] Initial = new double[n];
        public readonly double[,] Transitions = new double[n, n];
        public readonly double[,] Emissions = new double[n, n];
        public readonly double[] Occupancy = new double[n];
        public readonly double[] ValueSums = new double[n];

        // this = (1 − weight) · this + weight · other
        public void BlendWith(Counts other, double weight)
        {
            for (int i = 0; i < Initial.Length; i++)
            {
                Initial[i] += weight * (other.Initial[i] - Initial[i]);
                Occupancy[i] += weight * (other.Occupancy[i] - Occupancy[i]);
                ValueSums[i] += weight * (other.ValueSums[i] - ValueSums[i]);
                for (int j = 0; j < Initial.Length; j++)
                {
                    Transitions[i, j] += weight * (other.Transitions[i, j] - Transitions[i, j]);
                    Emissions[i, j] += weight * (other.Emissions[i, j] - Emissions[i, j]);
                }
            }
        }

        public Counts Clone()
        {
            var c = new Counts(Initial.Length);
            c.BlendWith(this, 1);
            return c;
        }
    }

    private void UpdateIfDue(int[] symbols)
    {
        if (symbols.Length < _options.MinObservations || (_counts is not null && _sinceUpdate < _options.UpdateInterval)) return;
        var values = _window.ToArray();
        Counts? blended = null;
        for (int iteration = 0; iteration < _options.Iterations; iteration++)
        {
            var window = ExpectedCounts(symbols, values);
            if (_counts is null)
            {
                blended = window;
            }
            else
            {
                blended = _counts.Clone();
                blended.BlendWith(window, _options.BlendWeight);
            }
            Maximize(blended);
        }
        _counts = blended;
        _sinceUpdate = 0;
    }

    // Scaled forward pass: the state distribution given the observations up to the newest one.
    private double[] Filter(int[] symbols)
    {
        var alpha = new double[_n];
        var next = new double[_n];
        for (int i = 0; i < _n; i++) alpha[i] = _initial[i] * _emission[i, symbols[0]];
        Normalize(alpha);
        for (int t = 1; t < symbols.Length; t++)
        {
            for (int j = 0; j < _n; j++)
            {
                double s = 0;
                for (int i = 0; i < _n; i++) s += alpha[i] * _transition[i, j];
                next[j] = s * _emission[j, symbols[t]];
            }
            Normalize(next);
            (alpha, next) = (next, alpha);
        }
        return alpha;
    }

    // E-step: forward–backward with per-step scaling, accumulating the expected counts.
    private Counts ExpectedCounts(int[] symbols, double[] values)
    {
        int length = symbols.Length;
        var alpha = new double[length, _n];
        var beta = new double[length, _n];
        var scale = new double[length];
        for (int t = 0; t < length; t++)
        {
            double sum = 0;
            for (int j = 0; j < _n; j++)
            {
                double s;
                if (t == 0)
                {
                    s = _initial[j];
                }
                else
                {
                    s = 0;
                    for (int i = 0; i < _n; i++) s += alpha[t - 1, i] * _transition[i, j];
                }
                sum += alpha[t, j] = s * _emission[j, symbols[t]];
            }
            scale[t] = sum > 0 ? sum : double.Epsilon;
            for (int j = 0; j < _n; j++) alpha[t, j] /= scale[t];
        }
        for (int i = 0; i < _n; i++) beta[length - 1, i] = 1;
        for (int t = length - 2; t >= 0; t--)
        {
            for (int i = 0; i < _n; i++)
            {
                double s = 0;
                for (int j = 0; j < _n; j++) s += _transition[i, j] * _emission[j, symbols[t + 1]] * beta[t + 1, j];
                beta[t, i] = s / scale[t + 1];
            }
        }

        var counts = new Counts(_n);
        double perObservation = 1.0 / length;
        var gamma = new double[_n];
        for (int t = 0; t < length; t++)
        {
            for (int i = 0; i < _n; i++) gamma[i] = alpha[t, i] * beta[t, i];
            Normalize(gamma);
            for (int i = 0; i < _n; i++)
            {
                if (t == 0) counts.Initial[i] = gamma[i];
                counts.Occupancy[i] += perObservation * gamma[i];
                counts.ValueSums[i] += perObservation * gamma[i] * values[t];
                counts.Emissions[i, symbols[t]] += perObservation * gamma[i];
            }
            if (t == length - 1) continue;
            double total = 0;
            for (int i = 0; i < _n; i++)
            {
                for (int j = 0; j < _n; j++) total += alpha[t, i] * _transition[i, j] * _emission[j, symbols[t + 1]] * beta[t + 1, j];
            }
            if (!(total > 0)) continue;
            for (int i = 0; i < _n; i++)
            {
                for (int j = 0; j < _n; j++)
                {
                    counts.Transitions[i, j] += perObservation * alpha[t, i] * _transition[i, j] * _emission[j, symbols[t + 1]] * beta[t + 1, j] / total;
                }
            }
        }
        return counts;
    }

    // M-step from (blended) expected counts, with additive smoothing.
    private void Maximize(Counts counts)
    {
        double s = _options.Smoothing;
        double initialTotal = counts.Initial.Sum() + _n * s;
        for (int i = 0; i < _n; i++)
        {
            _initial[i] = (counts.Initial[i] + s) / initialTotal;
            double transitions = s * _n, emissions = s * _n;
            for (int j = 0; j < _n; j++)
            {
                transitions += counts.Transitions[i, j];
                emissions += counts.Emissions[i, j];
            }
            for (int j = 0; j < _n; j++)
            {
                _transition[i, j] = (counts.Transitions[i, j] + s) / transitions;
                _emission[i, j] = (counts.Emissions[i, j] + s) / emissions;
            }
            // A state no observation is attributed to keeps its mean rather than taking a meaningless ratio.
            if (counts.Occupancy[i] > 1e-6) _means[i] = counts.ValueSums[i] / counts.Occupancy[i];
        }
    }

    private static void Normalize(double[] p)
    {
        double sum = p.Sum();
        if (sum > 0 && double.IsFinite(sum))
        {
            for (int i = 0; i < p.Length; i++) p[i] /= sum;
        }
        else
        {
            Array.Fill(p, 1.0 / p.Length);
        }
    }
}
