using Dataflow.Elasticity.Policies;

namespace Dataflow.Elasticity.Tests;

public class ElasticityCommandLineTests
{
    private static string Fails(params string[] args)
    {
        Assert.False(ElasticityCommandLine.TryParse(args, out var policy, out _, out var error));
        Assert.Null(policy);
        return Assert.IsType<string>(error);
    }

    [Fact]
    public void TryParse_NoElasticity_ReturnsEveryArgumentAndNoPolicy()
    {
        string[] args = ["--edges", "g.txt", "--min-parallelism", "2"];
        Assert.True(ElasticityCommandLine.TryParse(args, out var policy, out var rest, out var error));
        Assert.Null(policy);
        Assert.Null(error);
        Assert.Equal(args, rest);
    }

    [Fact]
    public void TryParse_Utilization_BuildsPolicyAndLeavesOtherArguments()
    {
        Assert.True(ElasticityCommandLine.TryParse(
            ["--edges", "g.txt", "--elasticity", "utilization", "--target-cpu", "0.6", "--min-parallelism", "2", "--max-parallelism", "8", "--iterations", "10"],
            out var policy, out var rest, out var error), error);
        var u = Assert.IsType<UtilizationPolicy>(policy);
        Assert.Equal(0.6, u.Options.TargetCpu);
        Assert.Equal(2, u.Options.MinParallelism);
        Assert.Equal(8, u.Options.MaxParallelism);
        Assert.Equal(["--edges", "g.txt", "--iterations", "10"], rest);
    }

    [Fact]
    public void TryParse_EqualsSyntax_IsAccepted()
    {
        Assert.True(ElasticityCommandLine.TryParse(["--elasticity=utilization", "--band=0.05", "--cooldown=2", "--slot-capacity=0.25"],
            out var policy, out _, out var error), error);
        var u = Assert.IsType<UtilizationPolicy>(policy);
        Assert.Equal(0.05, u.Options.Band);
        Assert.Equal(2, u.Options.CooldownSupersteps);
        Assert.Equal(0.25, u.Options.SlotCapacity);
    }

    [Fact]
    public void TryParse_RuntimeTarget_BuildsPolicy()
    {
        Assert.True(ElasticityCommandLine.TryParse(["--elasticity", "runtime-target", "--target-ms", "480000", "--supersteps", "30", "--max-parallelism", "60"],
            out var policy, out _, out var error), error);
        var r = Assert.IsType<RuntimeTargetPolicy>(policy);
        Assert.Equal(480_000, r.Options.TargetMs);
        Assert.Equal(30, r.Options.ExpectedSupersteps);
        Assert.Equal(60, r.Options.MaxParallelism);
    }

    [Fact]
    public void TryParse_Fixed_BuildsSchedule()
    {
        Assert.True(ElasticityCommandLine.TryParse(["--elasticity", "fixed", "--schedule", "1,4, 2,3"], out var policy, out _, out var error), error);
        Assert.Equal([1, 4, 2, 3], Assert.IsType<FixedPolicy>(policy).Schedule);
    }

    [Fact]
    public void TryParse_None_SucceedsWithoutPolicy()
    {
        Assert.True(ElasticityCommandLine.TryParse(["--elasticity", "none", "--parallelism", "4"], out var policy, out var rest, out _));
        Assert.Null(policy);
        Assert.Equal(["--parallelism", "4"], rest);
    }

    [Fact]
    public void TryParse_ArgumentsAfterSeparator_AreLeftAlone()
    {
        Assert.True(ElasticityCommandLine.TryParse(["--workers", "2", "--elasticity", "fixed", "--schedule", "2,3", "--", "Job.dll", "--target-cpu", "x"],
            out var policy, out var rest, out var error), error);
        Assert.IsType<FixedPolicy>(policy);
        Assert.Equal(["--workers", "2", "--", "Job.dll", "--target-cpu", "x"], rest);
    }

    [Fact]
    public void TryParse_UnknownPolicy_NamesItAndTheKnownOnes()
    {
        var error = Fails("--elasticity", "magic");
        Assert.Contains("Unknown elasticity policy 'magic'", error);
        Assert.Contains("utilization, runtime-target, fixed", error);
    }

    [Fact]
    public void TryParse_BadNumber_NamesOptionAndValue()
    {
        Assert.Equal("--elasticity utilization: --target-cpu: '0,7' is not a number.", Fails("--elasticity", "utilization", "--target-cpu", "0,7"));
        Assert.Contains("--max-parallelism: 'many' is not an integer", Fails("--elasticity", "utilization", "--max-parallelism", "many"));
    }

    [Fact]
    public void TryParse_ValueOutOfRange_NamesTheFlag()
    {
        Assert.Equal("--elasticity utilization: --target-cpu must be in (0, 1], not 2.", Fails("--elasticity", "utilization", "--target-cpu", "2"));
        Assert.Contains("--max-parallelism must be at least --min-parallelism (4)", Fails("--elasticity", "runtime-target", "--target-ms", "10", "--min-parallelism", "4", "--max-parallelism", "2"));
    }

    [Fact]
    public void TryParse_RequiredOptionMissing_SaysWhich()
    {
        Assert.Contains("needs --target-ms", Fails("--elasticity", "runtime-target"));
        Assert.Contains("needs --schedule", Fails("--elasticity", "fixed"));
    }

    [Fact]
    public void TryParse_OptionOfAnotherPolicy_IsRejected()
    {
        Assert.Equal("--schedule does not apply to --elasticity utilization.", Fails("--elasticity", "utilization", "--schedule", "1,2"));
        Assert.Contains("--target-cpu does not apply to --elasticity none", Fails("--elasticity", "none", "--target-cpu", "0.5"));
    }

    [Fact]
    public void TryParse_MissingOrRepeatedValue_IsRejected()
    {
        Assert.Equal("--target-cpu needs a value.", Fails("--elasticity", "utilization", "--target-cpu"));
        Assert.Equal("--elasticity needs a value.", Fails("--elasticity", "--target-cpu", "0.5"));
        Assert.Equal("--band is given twice.", Fails("--elasticity", "utilization", "--band", "0.1", "--band", "0.2"));
    }

    [Fact]
    public void TryParse_BadScheduleEntry_NamesIt()
    {
        Assert.Contains("'x' in '1,x' is not an integer", Fails("--elasticity", "fixed", "--schedule", "1,x"));
        Assert.Contains("--schedule entry 2 is 0", Fails("--elasticity", "fixed", "--schedule", "1,0"));
    }
}
