using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Dataflow.Cluster;

/// <summary>Configures a cluster's coordinator and its services; features add themselves through extension methods on it.</summary>
public interface IClusterBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Registers a cluster coordinator and the services it resolves: placement policies and a resource provider.</summary>
public static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="Coordinator"/> (singleton; call <see cref="Coordinator.Start"/>) with the
    /// options <paramref name="configure"/> sets, placing jobs with the <see cref="IPlacementPolicy"/>
    /// services (and the built-in <c>locality</c> and <c>bottleneck-aware</c>), and acquiring workers
    /// for jobs that may grow through the <see cref="IResourceProvider"/> service when there is one.
    /// </summary>
    public static IClusterBuilder AddDataflowCluster(this IServiceCollection services, Action<CoordinatorOptions>? configure = null)
    {
        var options = new CoordinatorOptions();
        configure?.Invoke(options);
        return services.AddDataflowCluster(options);
    }

    /// <summary>As <see cref="AddDataflowCluster(IServiceCollection, Action{CoordinatorOptions})"/>, with the options given.</summary>
    public static IClusterBuilder AddDataflowCluster(this IServiceCollection services, CoordinatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton<PlacementService>();
        services.TryAddSingleton(sp =>
        {
            var coordinator = new Coordinator(sp.GetRequiredService<CoordinatorOptions>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger("coordinator"), sp.GetRequiredService<PlacementService>());
            // Resolved at the first acquisition: a provider may itself need the coordinator (one that starts worker processes).
            coordinator.Options.ProviderFactory ??= () => sp.GetService<IResourceProvider>();
            return coordinator;
        });
        return new Builder(services);
    }

    /// <summary>Adds a placement policy a program can choose by its <see cref="IPlacementPolicy.Name"/> (<c>env.UsePlacement(name)</c>, <c>--placement name</c>).</summary>
    public static IClusterBuilder AddPlacementPolicy<TPolicy>(this IClusterBuilder builder)
        where TPolicy : class, IPlacementPolicy
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IPlacementPolicy, TPolicy>();
        return builder;
    }

    /// <summary>Sets where jobs that may grow get more workers, and where the workers they release go.</summary>
    public static IClusterBuilder AddResourceProvider(this IClusterBuilder builder, Func<IServiceProvider, IResourceProvider> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(create);
        builder.Services.Replace(ServiceDescriptor.Singleton(create));
        return builder;
    }

    private sealed class Builder(IServiceCollection services) : IClusterBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
