using System.Globalization;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;
using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>
/// A given parallelism per superstep, for tests and experiments: with the schedule 1,4,2,3 supersteps
/// 1, 2, 3 and 4 run at 1, 4, 2 and 3, and every later one at 3.
/// </summary>
public sealed class FixedPolicy : ElasticityPolicy
{
    /// <summary>The name used on the command line.</summary>
    public const string PolicyName = "fixed";

    private readonly int[] _schedule;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">Its options (validated here; the schedule is copied).</param>
    /// <param name="logger">Where decisions are logged, if anywhere.</param>
    /// <exception cref="ArgumentException">The schedule is empty or invalid.</exception>
    public FixedPolicy(FixedPolicyOptions options, ILogger<FixedPolicy>? logger = null)
        : base(PolicyName, logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _schedule = options.Schedule.ToArray();
    }

    /// <summary>The schedule: superstep k runs at <c>Schedule[min(k, Count) - 1]</c>.</summary>
    public IReadOnlyList<int> Schedule => _schedule;

    /// <summary>The parallelism the iteration should start with (the schedule's first entry).</summary>
    public int InitialParallelism => _schedule[0];

    /// <inheritdoc />
    public override int? FirstParallelism(int current) => _schedule[0];

    /// <inheritdoc />
    protected override ElasticityDecision DecideCore(BarrierContext context)
    {
        int index = Math.Clamp(context.Superstep, 0, _schedule.Length - 1);
        int next = _schedule[index];
        var reason = string.Create(CultureInfo.InvariantCulture,
            $"schedule {string.Join(",", _schedule)}: superstep {context.Superstep + 1} runs at entry {index + 1} = {next} (p={context.Parallelism})");
        return new ElasticityDecision(next, reason);
    }
}
