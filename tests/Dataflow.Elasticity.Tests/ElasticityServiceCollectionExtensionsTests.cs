using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.DependencyInjection;

namespace Dataflow.Elasticity.Tests;

public class ElasticityServiceCollectionExtensionsTests
{
    private static IElasticityPolicy? Resolve(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        configure(services);
        using var provider = services.BuildServiceProvider();
        return provider.GetService<IElasticityPolicy>();
    }

    [Fact]
    public void AddUtilizationElasticity_WithOptions_ResolvesConfiguredPolicy()
    {
        var policy = Assert.IsType<UtilizationPolicy>(Resolve(s => s.AddUtilizationElasticity(o =>
        {
            o.TargetCpu = 0.5;
            o.MaxParallelism = 6;
        })));
        Assert.Equal(0.5, policy.Options.TargetCpu);
        Assert.Equal(6, policy.Options.MaxParallelism);
        Assert.Equal("utilization", policy.Name);
    }

    [Fact]
    public void AddUtilizationElasticity_NoConfiguration_UsesDefaults()
    {
        var policy = Assert.IsType<UtilizationPolicy>(Resolve(s => s.AddUtilizationElasticity()));
        Assert.Equal(0.7, policy.Options.TargetCpu);
        Assert.Equal(0.1, policy.Options.Band);
    }

    [Fact]
    public void AddRuntimeTargetElasticity_WithOptions_ResolvesConfiguredPolicy()
    {
        var policy = Assert.IsType<RuntimeTargetPolicy>(Resolve(s => s.AddRuntimeTargetElasticity(o =>
        {
            o.TargetMs = 5000;
            o.ExpectedSupersteps = 20;
        })));
        Assert.Equal(5000, policy.Options.TargetMs);
        Assert.Equal(20, policy.Options.ExpectedSupersteps);
    }

    [Fact]
    public void AddFixedElasticity_WithSchedule_ResolvesConfiguredPolicy()
    {
        var policy = Assert.IsType<FixedPolicy>(Resolve(s => s.AddFixedElasticity(o => o.Schedule = [1, 4, 2, 3])));
        Assert.Equal([1, 4, 2, 3], policy.Schedule);
    }

    [Fact]
    public void AddElasticity_SecondPolicy_ReplacesTheFirst()
    {
        var services = new ServiceCollection();
        services.AddUtilizationElasticity().AddFixedElasticity(o => o.Schedule = [2]);
        Assert.Single(services, d => d.ServiceType == typeof(IElasticityPolicy));
        using var provider = services.BuildServiceProvider();
        Assert.IsType<FixedPolicy>(provider.GetRequiredService<IElasticityPolicy>());
    }

    [Fact]
    public void AddElasticity_Null_RemovesPolicy()
    {
        Assert.Null(Resolve(s => s.AddUtilizationElasticity().AddElasticity(null)));
    }

    [Fact]
    public void AddElasticity_ParsedPolicy_ResolvesThatInstance()
    {
        var policy = new FixedPolicy(new FixedPolicyOptions { Schedule = [3] });
        Assert.Same(policy, Resolve(s => s.AddElasticity(policy)));
    }

    [Fact]
    public void AddRuntimeTargetElasticity_MissingTarget_ThrowsOnResolve()
    {
        var ex = Assert.Throws<ArgumentException>(() => Resolve(s => s.AddRuntimeTargetElasticity(o => o.ExpectedSupersteps = 3)));
        Assert.Contains("TargetMs", ex.Message);
    }
}
