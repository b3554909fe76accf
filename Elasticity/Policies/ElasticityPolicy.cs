using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;
using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>What every policy shares: its name, and logging each decision with its inputs.</summary>
public abstract class ElasticityPolicy : IElasticityPolicy
{
    private readonly ILogger? _logger;

    /// <summary>Creates the policy named <paramref name="name"/>.</summary>
    protected ElasticityPolicy(string name, ILogger? logger)
    {
        Name = name;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ElasticityDecision Decide(BarrierContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _logger.Log(Name, context, DecideCore(context));
    }

    /// <inheritdoc />
    public virtual int? FirstParallelism(int current) => null;

    /// <summary>The decision for <paramref name="context"/> (not null).</summary>
    protected abstract ElasticityDecision DecideCore(BarrierContext context);
}
