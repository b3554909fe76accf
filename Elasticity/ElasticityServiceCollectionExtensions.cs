using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dataflow.Elasticity;

/// <summary>Registers an elasticity policy as the <see cref="IElasticityPolicy"/> of a service collection.</summary>
/// <remarks>
/// One policy is in effect: each method replaces an <see cref="IElasticityPolicy"/> registered before it.
/// Options are bound through the options pattern and validated when the policy is first resolved
/// (an out-of-range option throws <see cref="ArgumentException"/> there).
/// </remarks>
public static class ElasticityServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="UtilizationPolicy"/> (<c>--elasticity utilization</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets its options; the defaults otherwise.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddUtilizationElasticity(this IServiceCollection services, Action<UtilizationPolicyOptions>? configure = null) =>
        services.AddPolicy(configure, (sp, o) => new UtilizationPolicy(o, sp.GetService<ILogger<UtilizationPolicy>>()));

    /// <summary>Registers the <see cref="RuntimeTargetPolicy"/> (<c>--elasticity runtime-target</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets its options; <see cref="RuntimeTargetPolicyOptions.TargetMs"/> is required.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddRuntimeTargetElasticity(this IServiceCollection services, Action<RuntimeTargetPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddPolicy(configure, (sp, o) => new RuntimeTargetPolicy(o, sp.GetService<ILogger<RuntimeTargetPolicy>>()));
    }

    /// <summary>Registers the <see cref="FixedPolicy"/> (<c>--elasticity fixed</c>).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets its options; <see cref="FixedPolicyOptions.Schedule"/> is required.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddFixedElasticity(this IServiceCollection services, Action<FixedPolicyOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddPolicy(configure, (sp, o) => new FixedPolicy(o, sp.GetService<ILogger<FixedPolicy>>()));
    }

    /// <summary>Registers a policy built elsewhere, e.g. from a command line by <c>Dataflow.CommandLine.ElasticityOptions</c>; null removes any registered policy.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="policy">The policy, or null for none (<c>--elasticity none</c>).</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddElasticity(this IServiceCollection services, IElasticityPolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.RemoveAll<IElasticityPolicy>();
        if (policy is not null) services.AddSingleton(policy);
        return services;
    }

    private static IServiceCollection AddPolicy<TOptions>(this IServiceCollection services, Action<TOptions>? configure,
        Func<IServiceProvider, TOptions, IElasticityPolicy> create)
        where TOptions : class
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<TOptions>();
        if (configure is not null) options.Configure(configure);
        services.Replace(ServiceDescriptor.Singleton(sp => create(sp, sp.GetRequiredService<IOptions<TOptions>>().Value)));
        return services;
    }
}
