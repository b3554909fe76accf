using Dataflow.Iterations;

namespace Dataflow;

/// <summary>
/// What a step function can use besides its data: the superstep number, aggregators, a termination
/// criterion and a convergence criterion.
/// </summary>
/// <example>
/// <code>
/// var ranks = initial.IterateBulk(100, (ranks, ctx) =>
/// {
///     var delta = ctx.Sum("delta");
///     var next = Step(ranks).Select(r => { delta.Add(Math.Abs(r.Change)); return r; });
///     ctx.ConvergeWhen(() => ctx.Superstep > 1 &amp;&amp; delta.Value &lt; 1e-9);
///     return next;
/// });
/// </code>
/// </example>
public sealed class IterationContext
{
    private readonly List<IAggregator> _aggregators = new();
    private Func<bool>? _converged;

    internal IterationContext(string name) => Name = name;

    /// <summary>The iteration's name (used in statistics).</summary>
    public string Name { get; }

    /// <summary>The running superstep, 1-based; read it inside operator functions.</summary>
    public int Superstep { get; internal set; }

    internal IReadOnlyList<IAggregator> Aggregators => _aggregators;

    internal Plan.Node? TerminationCriterion { get; private set; }

    /// <summary>A custom aggregator: <paramref name="combine"/> must be associative and commutative with identity <paramref name="zero"/>.</summary>
    public Aggregator<T> Aggregator<T>(string name, T zero, Func<T, T, T> combine)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(combine);
        if (_aggregators.Any(a => a.Name == name)) throw new ArgumentException($"An aggregator named '{name}' already exists.", nameof(name));
        var a = new Aggregator<T>(name, zero, combine);
        _aggregators.Add(a);
        return a;
    }

    /// <summary>A sum of doubles.</summary>
    public Aggregator<double> Sum(string name) => Aggregator(name, 0.0, static (a, b) => a + b);

    /// <summary>A minimum of doubles (+∞ when nothing was added).</summary>
    public Aggregator<double> Min(string name) => Aggregator(name, double.PositiveInfinity, Math.Min);

    /// <summary>A maximum of doubles (−∞ when nothing was added).</summary>
    public Aggregator<double> Max(string name) => Aggregator(name, double.NegativeInfinity, Math.Max);

    /// <summary>A count (add 1 per event, or any increment).</summary>
    public Aggregator<long> Count(string name) => Aggregator(name, 0L, static (a, b) => a + b);

    /// <summary>Ends the iteration after a superstep in which <paramref name="criterion"/> produced no record.</summary>
    public void TerminateWhenEmpty<T>(DataSet<T> criterion)
    {
        ArgumentNullException.ThrowIfNull(criterion);
        TerminationCriterion = criterion.Node;
    }

    /// <summary>Ends the iteration after a superstep when <paramref name="converged"/> returns true (it reads aggregator values).</summary>
    public void ConvergeWhen(Func<bool> converged)
    {
        ArgumentNullException.ThrowIfNull(converged);
        _converged = converged;
    }

    internal bool HasConverged() => _converged?.Invoke() ?? false;

    internal Dictionary<string, object?> Barrier()
    {
        var values = new Dictionary<string, object?>();
        foreach (var a in _aggregators)
        {
            a.Barrier();
            values[a.Name] = a.Value;
        }
        return values;
    }

    /// <summary>This process's aggregator values, for the cluster barrier.</summary>
    internal byte[] WriteAggregators()
    {
        var w = new Runtime.Serialization.ByteWriter(64);
        foreach (var a in _aggregators) a.WriteValue(w);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Combines every process's aggregator values (in participant order, so all processes get the same result).</summary>
    internal Dictionary<string, object?> CombineAggregators(IEnumerable<byte[]> perProcess)
    {
        var readers = perProcess.Select(b => new Runtime.Serialization.ByteReader(b)).ToList();
        var values = new Dictionary<string, object?>();
        foreach (var a in _aggregators)
        {
            a.CombineValues(readers);
            values[a.Name] = a.Value;
        }
        return values;
    }

    /// <summary>Sets the aggregator values to those a checkpoint kept (<see cref="WriteAggregators"/> after a barrier).</summary>
    internal void RestoreAggregators(byte[] values) => CombineAggregators([values]);

    internal void Reset()
    {
        foreach (var a in _aggregators) a.Reset();
        Superstep = 0;
    }
}
