using Dataflow.Runtime.Extensibility;

namespace Dataflow.Scheduling.Placement;

/// <summary>Creates placement policies by their command-line names (<c>--placement locality|bottleneck-aware</c>).</summary>
public static class PlacementPolicies
{
    /// <summary>The known names.</summary>
    public static IReadOnlyList<string> Names { get; } = [LocalityPlacementPolicy.PolicyName, BottleneckAwarePlacementPolicy.PolicyName];

    /// <summary>The policy named <paramref name="name"/>; <paramref name="forecast"/> is required for <c>bottleneck-aware</c>.</summary>
    /// <exception cref="ArgumentException">The name is unknown, or <c>bottleneck-aware</c> has no forecast.</exception>
    public static IExplainedPlacementPolicy Create(string name, ILoadForecast? forecast = null, PlacementOptions? options = null) => name switch
    {
        LocalityPlacementPolicy.PolicyName => new LocalityPlacementPolicy(),
        BottleneckAwarePlacementPolicy.PolicyName => new BottleneckAwarePlacementPolicy(
            forecast ?? throw new ArgumentException("The bottleneck-aware policy needs a load forecast.", nameof(forecast)), options),
        _ => throw new ArgumentException($"Unknown placement policy '{name}'; expected one of: {string.Join(", ", Names)}.", nameof(name)),
    };
}
