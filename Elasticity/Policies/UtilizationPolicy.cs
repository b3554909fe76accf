using System.Globalization;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;
using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>
/// Scales an iteration so its workers run near a target CPU utilization (Thamsen, Renner, Kao,
/// ICDCSW'16): <c>p' = clamp(floor(U / U_target × p), p_min, p_max)</c>, with a hysteresis band and a
/// cooldown (docs/architecture.md §8).
/// </summary>
/// <remarks>
/// <para>U is the mean over the workers that ran the step of each worker's CPU utilization during the last
/// superstep: the CPU time of the step's subtasks on the worker divided by the superstep's duration times
/// the capacity the iteration occupies there (its subtasks on that worker, at most the worker's slots,
/// times <see cref="UtilizationPolicyOptions.SlotCapacity"/> cores), clamped to [0, 1].</para>
/// <para>The policy keeps the parallelism when U is within <c>TargetCpu ± Band</c>, when the current
/// parallelism has run fewer than <see cref="UtilizationPolicyOptions.CooldownSupersteps"/> supersteps, or
/// when the last superstep left no statistics. It is a pure function of the context.</para>
/// </remarks>
public sealed class UtilizationPolicy : ElasticityPolicy
{
    /// <summary>The name used on the command line.</summary>
    public const string PolicyName = "utilization";

    private readonly UtilizationPolicyOptions _options;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">Its options (validated here).</param>
    /// <param name="logger">Where decisions are logged, if anywhere.</param>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public UtilizationPolicy(UtilizationPolicyOptions options, ILogger<UtilizationPolicy>? logger = null)
        : base(PolicyName, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The options in effect.</summary>
    public UtilizationPolicyOptions Options => _options;

    /// <inheritdoc />
    protected override ElasticityDecision DecideCore(BarrierContext context)
    {
        var ci = CultureInfo.InvariantCulture;
        int p = context.Parallelism;
        int lo = _options.MinParallelism;
        int hi = Math.Max(lo, BarrierStatistics.MaxParallelism(_options.MaxParallelism, context));
        int clamped = Math.Clamp(p, lo, hi);
        var measured = BarrierStatistics.CpuUtilization(context, _options.SlotCapacity);
        if (measured is not { } m)
        {
            return new ElasticityDecision(clamped, string.Create(ci, $"no task statistics for superstep {context.Superstep}; p={p}, range {lo}..{hi} -> {clamped}"));
        }
        double u = m.Mean, target = _options.TargetCpu, band = _options.Band;
        string inputs = string.Create(ci, $"U={u:0.###} over {m.Workers.Length} worker(s), target {target:0.###}±{band:0.###}, p={p}, range {lo}..{hi}");
        int since = BarrierStatistics.SuperstepsAtCurrentParallelism(context);
        if (since < _options.CooldownSupersteps)
        {
            return new ElasticityDecision(clamped, string.Create(ci, $"{inputs}; cooldown ({since} of {_options.CooldownSupersteps} supersteps at p={p}) -> {clamped}"));
        }
        if (Math.Abs(u - target) <= band)
        {
            return new ElasticityDecision(clamped, string.Create(ci, $"{inputs}; within the band -> {clamped}"));
        }
        // The epsilon absorbs rounding in U / target × p (0.35 / 0.7 × 4 must give 2, not 1.999…).
        int formula = (int)Math.Floor(u / target * p + 1e-9);
        int next = formula;
        string step = string.Create(ci, $"floor({u:0.###}/{target:0.###}×{p})={formula}");
        if (u > target + band && next <= p && _options.ScaleOutAtLeastOne)
        {
            next = p + 1;
            step += string.Create(ci, $", above the band so at least p+1={next}");
        }
        next = Math.Clamp(next, lo, hi);
        if (next > p && _options.ScaleOutMinSuperstepMs > 0 && context.SuperstepDurations.Count > 0
            && context.SuperstepDurations[^1].TotalMilliseconds < _options.ScaleOutMinSuperstepMs)
        {
            return new ElasticityDecision(clamped, string.Create(ci,
                $"{inputs}; {step}, but the last superstep took {context.SuperstepDurations[^1].TotalMilliseconds:0.#} ms, under the {_options.ScaleOutMinSuperstepMs:0.#} ms a scale-out needs to pay off -> {clamped}"));
        }
        if (next < p && _options.ScaleInPatience > 1)
        {
            // Scale in only when the readings at p have been below the band for long enough.
            int below = 0;
            for (int back = 0; back < _options.ScaleInPatience && back < since; back++)
            {
                if (BarrierStatistics.CpuUtilization(context, _options.SlotCapacity, back) is { } earlier && earlier.Mean < target - band) below++;
            }
            if (below < _options.ScaleInPatience)
            {
                return new ElasticityDecision(clamped, string.Create(ci, $"{inputs}; {step}, but only {below} of {_options.ScaleInPatience} supersteps at p={p} below the band -> {clamped}"));
            }
        }
        if (next < p && OverloadedAtOrAbove(context, next) is { } overloaded)
        {
            // Going back to a parallelism that was recently too small would only bring the scale-out back.
            int floor = overloaded + 1;
            if (floor >= p) return new ElasticityDecision(clamped, string.Create(ci, $"{inputs}; {step}, but p={overloaded} was above the band within the last {_options.OverloadMemory} supersteps -> {clamped}"));
            step += string.Create(ci, $", but p={overloaded} was above the band within the last {_options.OverloadMemory} supersteps so {floor}");
            next = floor;
        }
        return new ElasticityDecision(next, string.Create(ci, $"{inputs}; {step} -> {next}"));
    }

    /// <summary>The largest parallelism ≥ <paramref name="candidate"/> whose utilization was above the band within the remembered supersteps, or null.</summary>
    private int? OverloadedAtOrAbove(BarrierContext context, int candidate)
    {
        var history = BarrierStatistics.ParallelismHistory(context);
        int? found = null;
        for (int back = 1; back <= _options.OverloadMemory && back < history.Length; back++)
        {
            int q = history[^(1 + back)];
            if (q < candidate || q >= context.Parallelism || (found is { } f && q <= f)) continue;
            if (BarrierStatistics.CpuUtilization(context, _options.SlotCapacity, back) is { } u && u.Mean > _options.TargetCpu + _options.Band) found = q;
        }
        return found;
    }
}
