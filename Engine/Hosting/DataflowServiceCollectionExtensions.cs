using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Dataflow;

/// <summary>Configures the engine's services; features add themselves through extension methods on it.</summary>
public interface IDataflowBuilder
{
    /// <summary>The service collection being configured.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Registers the dataflow engine in a service collection.</summary>
public static class DataflowServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine: <see cref="DataflowEnvironment"/> (singleton), its <see cref="DataflowOptions"/>,
    /// and the embedded defaults of the extension points (<see cref="Runtime.Hosting.IJobHost"/>,
    /// <see cref="IResourceProvider"/>, <see cref="IPlacementPolicy"/>), which features registered
    /// later may replace.
    /// </summary>
    public static IDataflowBuilder AddDataflow(this IServiceCollection services, Action<DataflowOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<DataflowOptions>();
        if (configure is not null) options.Configure(configure);
        options.Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.TryAddSingleton<DataflowEnvironment>();
        services.TryAddSingleton<Runtime.Hosting.IJobHost, Runtime.Hosting.LocalJobHost>();
        services.TryAddSingleton<IResourceProvider, LocalResourceProvider>();
        services.TryAddSingleton<IPlacementPolicy, LocalPlacementPolicy>();
        return new Builder(services);
    }

    private sealed class Builder(IServiceCollection services) : IDataflowBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
