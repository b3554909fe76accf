using System.Globalization;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;
using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>
/// Scales an iteration so it meets a runtime target (Ellis, Thamsen et al., CloudCom 2017), from a model
/// of superstep duration versus parallelism fitted on the supersteps run so far (docs/architecture.md §8).
/// </summary>
/// <remarks>
/// <para>After superstep s of an iteration expected to run N supersteps, with elapsed time E (the sum of
/// the superstep durations) and the model t̂ (<see cref="SuperstepRuntimeModel"/>: Bell inside the
/// observed parallelisms, Ernest outside):</para>
/// <list type="bullet">
/// <item>budget B = target − E − t̂(p): the next superstep is charged at the current parallelism p, a
/// conservative allowance that also covers the cost of moving state;</item>
/// <item>predicted remaining time R(x) = (N − s − 1) · t̂(x) for the supersteps after the next one;</item>
/// <item>if R(p) &gt; 1.05 · B, the new parallelism is the smallest x in [min, max] with R(x) &lt; 0.9 · B,
/// else the x with the smallest R(x); if R(p) &lt; 0.85 · B, the same pick, taken only if it is below p;
/// otherwise p stays.</item>
/// </list>
/// <para>The policy keeps p when nothing is left to steer (s ≥ N − 1). When N is unknown the target is per
/// superstep: B = target and R(x) = t̂(x). It is a pure function of the context.</para>
/// </remarks>
public sealed class RuntimeTargetPolicy : ElasticityPolicy
{
    /// <summary>The name used on the command line.</summary>
    public const string PolicyName = "runtime-target";

    private readonly RuntimeTargetPolicyOptions _options;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">Its options (validated here).</param>
    /// <param name="logger">Where decisions are logged, if anywhere.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public RuntimeTargetPolicy(RuntimeTargetPolicyOptions options, ILogger<RuntimeTargetPolicy>? logger = null)
        : base(PolicyName, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The options in effect.</summary>
    public RuntimeTargetPolicyOptions Options => _options;

    /// <inheritdoc />
    protected override ElasticityDecision DecideCore(BarrierContext context)
    {
        var ci = CultureInfo.InvariantCulture;
        int p = context.Parallelism;
        int lo = _options.MinParallelism;
        int hi = Math.Max(lo, BarrierStatistics.MaxParallelism(_options.MaxParallelism, context));
        int kept = Math.Clamp(p, lo, hi);
        var parallelism = BarrierStatistics.ParallelismHistory(context);
        if (parallelism.Length == 0)
        {
            return new ElasticityDecision(kept, string.Create(ci, $"no superstep durations yet; p={p}, range {lo}..{hi} -> {kept}"));
        }
        var durations = context.SuperstepDurations.Take(parallelism.Length).Select(d => d.TotalMilliseconds).ToArray();
        double elapsed = durations.Sum();
        // The first superstep also reads and indexes the loop-invariant inputs (they are cached for
        // the later ones): it counts towards the elapsed time but is no sample of a superstep's runtime.
        int skip = durations.Length > 1 ? 1 : 0;
        var model = SuperstepRuntimeModel.Fit(parallelism.Skip(skip).Select(v => (double)v).ToArray(), durations.Skip(skip).ToArray());
        double next = model.Predict(p);

        double budget;
        int after;
        string frame;
        if (_options.ExpectedSupersteps is { } n)
        {
            int remaining = n - context.Superstep;
            if (remaining <= 1)
            {
                return new ElasticityDecision(kept, string.Create(ci,
                    $"superstep {context.Superstep} of {n}: nothing left to steer after the next superstep, which runs at p={p}; range {lo}..{hi} -> {kept}"));
            }
            after = remaining - 1;
            budget = _options.TargetMs - elapsed - next;
            frame = string.Create(ci, $"superstep {context.Superstep} of {n}, elapsed {elapsed:0.#} ms of target {_options.TargetMs:0.#} ms, next at p={p} predicted {next:0.#} ms, budget {budget:0.#} ms for {after} more");
        }
        else
        {
            after = 1;
            budget = _options.TargetMs;
            frame = string.Create(ci, $"superstep {context.Superstep}, per-superstep target {budget:0.#} ms (expected supersteps unknown)");
        }

        double Remaining(int x) => after * model.Predict(x);
        double current = Remaining(p);
        string inputs = string.Create(ci, $"{frame}; model {model.Description}; predicted remaining at p={p}: {current:0.#} ms");
        if (current > _options.ScaleOutAbove * budget)
        {
            var (x, why) = Pick(budget, lo, hi, Remaining);
            return new ElasticityDecision(x, string.Create(ci, $"{inputs} > {_options.ScaleOutAbove}×budget; {why} -> {x}"));
        }
        if (current < _options.ScaleInBelow * budget)
        {
            var (x, why) = Pick(budget, lo, hi, Remaining);
            int chosen = x < p ? x : kept;
            string only = x < p ? "" : string.Create(ci, $", not below p={p}, so keep");
            return new ElasticityDecision(chosen, string.Create(ci, $"{inputs} < {_options.ScaleInBelow}×budget; {why}{only} -> {chosen}"));
        }
        return new ElasticityDecision(kept, string.Create(ci, $"{inputs}, within {_options.ScaleInBelow}..{_options.ScaleOutAbove}×budget -> {kept}"));
    }

    /// <summary>The smallest parallelism in range predicted under PickUnder × budget, else the fastest.</summary>
    private (int Parallelism, string Why) Pick(double budget, int lo, int hi, Func<int, double> remaining)
    {
        var ci = CultureInfo.InvariantCulture;
        double limit = _options.PickUnder * budget;
        int fastest = lo;
        double best = double.PositiveInfinity;
        for (int x = lo; x <= hi; x++)
        {
            double r = remaining(x);
            if (r < limit) return (x, string.Create(ci, $"smallest p under {_options.PickUnder}×budget={limit:0.#} ms is {x} (predicted {r:0.#} ms)"));
            if (r < best)
            {
                best = r;
                fastest = x;
            }
        }
        return (fastest, string.Create(ci, $"no p in {lo}..{hi} under {_options.PickUnder}×budget={limit:0.#} ms, fastest is {fastest} (predicted {best:0.#} ms)"));
    }
}
