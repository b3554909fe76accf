using Dataflow.Elasticity;
using Dataflow.Elasticity.Policies;

namespace Dataflow;

/// <summary>Elasticity policies on the dataflow builder: <c>services.AddDataflow().AddUtilizationElasticity(...)</c>.</summary>
public static class DataflowBuilderElasticityExtensions
{
    /// <summary>Rescales iterations by CPU utilization (docs/architecture.md §8).</summary>
    public static IDataflowBuilder AddUtilizationElasticity(this IDataflowBuilder builder, Action<UtilizationPolicyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddUtilizationElasticity(configure);
        return builder;
    }

    /// <summary>Rescales iterations to meet a runtime target with learned scale-out models (docs/architecture.md §8).</summary>
    public static IDataflowBuilder AddRuntimeTargetElasticity(this IDataflowBuilder builder, Action<RuntimeTargetPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddRuntimeTargetElasticity(configure);
        return builder;
    }

    /// <summary>Runs iterations on a fixed parallelism schedule (tests and experiments).</summary>
    public static IDataflowBuilder AddFixedElasticity(this IDataflowBuilder builder, Action<FixedPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddFixedElasticity(configure);
        return builder;
    }
}
