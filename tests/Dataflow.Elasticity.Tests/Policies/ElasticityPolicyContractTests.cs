using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Elasticity.Tests.Policies;

/// <summary>What every elasticity policy must do, run against each implementation.</summary>
public abstract class ElasticityPolicyContractTests
{
    private protected abstract IElasticityPolicy Create(int min, int max);

    private static BarrierContext Recorded() =>
        Contexts.After(new Step(2, 400, 0.95), new Step(3, 300, 0.9), new Step(3, 290, 0.92), new Step(5, 200, 0.4));

    private protected abstract string[] CommandLine { get; }

    [Fact]
    public void Name_ParsedFromCommandLine_BuildsTheSamePolicy()
    {
        var policy = Create(1, 8);
        var parsed = ElasticityOptionsTests.Parses(["--elasticity", policy.Name, .. CommandLine]);
        Assert.IsType(policy.GetType(), parsed);
        Assert.Equal(policy.Name, parsed!.Name);
    }

    [Fact]
    public void Decide_EmptyHistory_ReturnsParallelismInRangeWithReason()
    {
        var context = new BarrierContext("it", 0, 4, [], [], Contexts.LocalWorker);
        var d = Create(1, 8).Decide(context);
        Assert.InRange(d.Parallelism, 1, 8);
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
    }

    [Fact]
    public void Decide_RecordedHistory_StaysInRangeWithReason()
    {
        var d = Create(2, 4).Decide(Recorded());
        Assert.InRange(d.Parallelism, 2, 4);
        Assert.False(string.IsNullOrWhiteSpace(d.Reason));
    }

    [Fact]
    public void Decide_SameContextTwice_SameDecision()
    {
        var policy = Create(1, 8);
        var context = Recorded();
        Assert.Equal(policy.Decide(context), policy.Decide(context));
    }
}

public sealed class UtilizationPolicyContractTests : ElasticityPolicyContractTests
{
    private protected override IElasticityPolicy Create(int min, int max) =>
        new UtilizationPolicy(new UtilizationPolicyOptions { MinParallelism = min, MaxParallelism = max });

    private protected override string[] CommandLine => ["--target-cpu", "0.6"];
}

public sealed class RuntimeTargetPolicyContractTests : ElasticityPolicyContractTests
{
    private protected override IElasticityPolicy Create(int min, int max) =>
        new RuntimeTargetPolicy(new RuntimeTargetPolicyOptions { TargetMs = 2000, ExpectedSupersteps = 10, MinParallelism = min, MaxParallelism = max });

    private protected override string[] CommandLine => ["--target-ms", "2000"];
}

public sealed class FixedPolicyContractTests : ElasticityPolicyContractTests
{
    private protected override IElasticityPolicy Create(int min, int max) =>
        new FixedPolicy(new FixedPolicyOptions { Schedule = [min, max, min, max] });

    private protected override string[] CommandLine => ["--schedule", "1,2"];
}
