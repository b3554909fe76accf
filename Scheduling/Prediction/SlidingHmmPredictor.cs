namespace Dataflow.Scheduling.Prediction;

/// <summary>
/// Sliding hidden Markov model load predictor (docs/architecture.md §9; after Chis and Harrison, EPEW 2013, as
/// used by Lube): discrete hidden states over quantized utilization, re-estimated on a fixed window
/// of the newest observations by incremental Baum–Welch.
/// </summary>
/// <remarks>
/// <para>Each update starts from the current model, runs <see cref="SlidingHmmOptions.Iterations"/>
/// Baum–Welch E-steps on the window and blends the window's expected counts (initial state,
/// transitions, emissions, and the observed values per state) with the previous ones as a moving
/// average of weight <see cref="SlidingHmmOptions.BlendWeight"/>; the M-step uses the blended counts.
/// Observations that have left the window thus fade out gradually instead of being forgotten at once.</para>
/// <para>Each state has, besides its emission distribution over the quantization levels, the mean
/// of the raw values attributed to it, so a saturated state predicts, say, 0.97 rather than the
/// centre of its quantization level. The prediction filters the current state distribution with the
/// forward algorithm and propagates it through the transition matrix.</para>
/// </remarks>
public sealed partial class SlidingHmmPredictor : ILoadPredictor
{
    /// <summary>The name used on the command line.</summary>
    public const string PredictorName = "slidhmm";

    private readonly SlidingHmmOptions _options;
    private readonly SlidingWindow _window;
    private readonly int _n;
    private readonly double[] _initial;
    private readonly double[,] _transition;
    private readonly double[,] _emission;
    private readonly double[] _means;
    private Counts? _counts;
    private int _sinceUpdate;

    /// <summary>Creates a predictor with <paramref name="options"/> (defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public SlidingHmmPredictor(SlidingHmmOptions? options = null)
    {
        _options = options ?? new SlidingHmmOptions();
        _options.Validate();
        _window = new SlidingWindow(_options.Window);
        _n = _options.States;
        _initial = new double[_n];
        _transition = new double[_n, _n];
        _emission = new double[_n, _n];
        _means = new double[_n];
        Initialize();
    }

    /// <inheritdoc />
    public string Name => PredictorName;

    /// <inheritdoc />
    public int Count => _window.Count;

    /// <summary>The number of hidden states.</summary>
    public int States => _n;

    /// <summary>The mean of the values attributed to <paramref name="state"/>.</summary>
    public double StateMean(int state) => _means[state];

    /// <summary>The transition probability from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public double TransitionProbability(int from, int to) => _transition[from, to];

    /// <inheritdoc />
    public void Observe(double value)
    {
        if (_window.Add(value)) _sinceUpdate++;
    }

    /// <summary>The filtered probabilities of the hidden states at the newest observation (updating the model first if due).</summary>
    /// <exception cref="InvalidOperationException">Nothing was observed yet.</exception>
    public double[] CurrentStateProbabilities()
    {
        if (_window.Count == 0) throw new InvalidOperationException("The sliding HMM predictor has no observations yet.");
        var symbols = Quantize(_window.ToArray());
        UpdateIfDue(symbols);
        return Filter(symbols);
    }

    /// <summary>The estimate of the current value: the expected state mean under <see cref="CurrentStateProbabilities"/>.</summary>
    /// <exception cref="InvalidOperationException">Nothing was observed yet.</exception>
    public double EstimateCurrent()
    {
        var p = CurrentStateProbabilities();
        double v = 0;
        for (int i = 0; i < _n; i++) v += p[i] * _means[i];
        return Clamp(v);
    }

    /// <inheritdoc />
    public double[] Predict(int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        if (_window.Count == 0) throw new InvalidOperationException("The sliding HMM predictor has no observations yet.");
        var result = new double[horizon];
        var values = _window.ToArray();
        if (values.Length < _options.MinObservations || values.Max() - values.Min() <= 1e-12)
        {
            Array.Fill(result, Clamp(values[^1]));
            return result;
        }
        var p = CurrentStateProbabilities();
        var next = new double[_n];
        for (int k = 0; k < horizon; k++)
        {
            Array.Clear(next);
            for (int i = 0; i < _n; i++)
            {
                for (int j = 0; j < _n; j++) next[j] += p[i] * _transition[i, j];
            }
            (p, next) = (next, p);
            result[k] = Clamp(ValueOf(p));
        }
        return result;
    }

    /// <inheritdoc />
    public void Reset()
    {
        _window.Clear();
        _counts = null;
        _sinceUpdate = 0;
        Initialize();
    }

    private double ValueOf(double[] p)
    {
        if (_options.Mode == HmmPredictionMode.MostLikely)
        {
            int best = 0;
            for (int i = 1; i < _n; i++)
            {
                if (p[i] > p[best]) best = i;
            }
            return _means[best];
        }
        double v = 0;
        for (int i = 0; i < _n; i++) v += p[i] * _means[i];
        return v;
    }

    private double Clamp(double value) => Math.Clamp(double.IsFinite(value) ? value : _window.Last, _options.Minimum, _options.Maximum);

    private int[] Quantize(double[] values)
    {
        var symbols = new int[values.Length];
        double range = _options.Maximum - _options.Minimum;
        for (int t = 0; t < values.Length; t++)
        {
            symbols[t] = Math.Clamp((int)((values[t] - _options.Minimum) / range * _n), 0, _n - 1);
        }
        return symbols;
    }

    // A neutral start: sticky states, each emitting mostly its own level, its mean the level's centre.
    private void Initialize()
    {
        double range = _options.Maximum - _options.Minimum;
        for (int i = 0; i < _n; i++)
        {
            _initial[i] = 1.0 / _n;
            _means[i] = _options.Minimum + (i + 0.5) / _n * range;
            double rowSum = 0;
            for (int m = 0; m < _n; m++)
            {
                _transition[i, m] = i == m ? 0.8 : 0.2 / (_n - 1);
                rowSum += _emission[i, m] = Math.Exp(-2.0 * Math.Abs(i - m));
            }
            for (int m = 0; m < _n; m++) _emission[i, m] /= rowSum;
        }
    }
}
