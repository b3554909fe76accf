using Microsoft.Extensions.Logging;

namespace Dataflow.Elasticity.Policies;

/// <summary>The policies' log messages (source-generated).</summary>
internal static partial class PolicyLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Policy} at superstep {Superstep} of {Iteration}: {From} -> {To}: {Reason}")]
    public static partial void Decided(ILogger logger, string policy, string iteration, int superstep, int from, int to, string reason);

    /// <summary>Logs <paramref name="decision"/> with its inputs and returns it.</summary>
    public static Runtime.Extensibility.ElasticityDecision Log(this ILogger? logger, string policy, Runtime.Extensibility.BarrierContext context,
        Runtime.Extensibility.ElasticityDecision decision)
    {
        if (logger is not null) Decided(logger, policy, context.Iteration, context.Superstep, context.Parallelism, decision.Parallelism, decision.Reason);
        return decision;
    }
}
