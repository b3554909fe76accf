using System.CommandLine;
using Dataflow.CommandLine;
using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;

namespace Dataflow.Elasticity.Tests;

/// <summary>The elasticity options on a command line (System.CommandLine), bound into the policies' option classes.</summary>
public class ElasticityOptionsTests
{
    /// <summary>A command with the elasticity options beside a program's own, and the program's arguments after <c>--</c>.</summary>
    internal sealed class TestCommand
    {
        public ElasticityOptions Elasticity { get; } = new();

        public Option<string> Edges { get; } = new("--edges");

        public Option<int> Iterations { get; } = CommandLineOptions.Int("--iterations", "supersteps", 20, 1);

        public Option<int?> Parallelism { get; } = CommandLineOptions.OptionalInt("--parallelism", "subtasks", 1);

        public Argument<string[]> Program { get; } = new("program") { Arity = ArgumentArity.ZeroOrMore };

        public RootCommand Root { get; }

        public TestCommand()
        {
            Root = new RootCommand("test") { Edges, Iterations, Parallelism, Program };
            Elasticity.AddTo(Root);
        }
    }

    /// <summary>Parses <paramref name="args"/> and builds the policy; every usage error (parse or policy) is in Error.</summary>
    internal static (IElasticityPolicy? Policy, string? Error, ParseResult Parsed, TestCommand Command) Parse(params string[] args)
    {
        var command = new TestCommand();
        var parsed = command.Root.Parse(args);
        if (parsed.Errors.Count > 0) return (null, string.Join(" | ", parsed.Errors.Select(e => e.Message)), parsed, command);
        bool ok = command.Elasticity.TryCreatePolicy(parsed, out var policy, out var error);
        Assert.Equal(ok, error is null);
        if (!ok) Assert.Null(policy);
        return (policy, error, parsed, command);
    }

    internal static IElasticityPolicy? Parses(params string[] args)
    {
        var (policy, error, _, _) = Parse(args);
        Assert.True(error is null, error);
        return policy;
    }

    internal static string Fails(params string[] args) => Assert.IsType<string>(Parse(args).Error);

    [Fact]
    public void TryCreatePolicy_NoElasticity_NoPolicyAndOtherOptionsParsed()
    {
        var (policy, error, parsed, c) = Parse("--edges", "g.txt", "--parallelism", "2");
        Assert.Null(error);
        Assert.Null(policy);
        Assert.Equal("g.txt", parsed.GetValue(c.Edges));
        Assert.Equal(2, parsed.GetValue(c.Parallelism));
    }

    [Fact]
    public void TryCreatePolicy_Utilization_BuildsPolicyAndLeavesOtherOptions()
    {
        var (policy, error, parsed, c) = Parse("--edges", "g.txt", "--elasticity", "utilization", "--target-cpu", "0.6", "--min-parallelism", "2",
            "--max-parallelism", "8", "--iterations", "10");
        Assert.Null(error);
        var u = Assert.IsType<UtilizationPolicy>(policy);
        Assert.Equal(0.6, u.Options.TargetCpu);
        Assert.Equal(2, u.Options.MinParallelism);
        Assert.Equal(8, u.Options.MaxParallelism);
        Assert.Equal("g.txt", parsed.GetValue(c.Edges));
        Assert.Equal(10, parsed.GetValue(c.Iterations));
    }

    [Fact]
    public void TryCreatePolicy_UtilizationWithoutOptions_HasTheDefaults()
    {
        var u = Assert.IsType<UtilizationPolicy>(Parses("--elasticity", "utilization"));
        var defaults = new UtilizationPolicyOptions();
        Assert.Equal(defaults.TargetCpu, u.Options.TargetCpu);
        Assert.Equal(defaults.OverloadMemory, u.Options.OverloadMemory);
        Assert.Null(u.Options.MaxParallelism);
    }

    [Fact]
    public void TryCreatePolicy_EqualsSyntax_IsAccepted()
    {
        var u = Assert.IsType<UtilizationPolicy>(Parses("--elasticity=utilization", "--band=0.05", "--cooldown=2", "--slot-capacity=0.25"));
        Assert.Equal(0.05, u.Options.Band);
        Assert.Equal(2, u.Options.CooldownSupersteps);
        Assert.Equal(0.25, u.Options.SlotCapacity);
    }

    [Fact]
    public void TryCreatePolicy_RuntimeTarget_BuildsPolicy()
    {
        var r = Assert.IsType<RuntimeTargetPolicy>(Parses("--elasticity", "runtime-target", "--target-ms", "480000", "--supersteps", "30", "--max-parallelism", "60"));
        Assert.Equal(480_000, r.Options.TargetMs);
        Assert.Equal(30, r.Options.ExpectedSupersteps);
        Assert.Equal(60, r.Options.MaxParallelism);
    }

    [Fact]
    public void TryCreatePolicy_Fixed_BuildsSchedule()
    {
        Assert.Equal([1, 4, 2, 3], Assert.IsType<FixedPolicy>(Parses("--elasticity", "fixed", "--schedule", "1,4, 2,3")).Schedule);
    }

    [Fact]
    public void TryCreatePolicy_None_SucceedsWithoutPolicy()
    {
        var (policy, error, parsed, c) = Parse("--elasticity", "none", "--parallelism", "4");
        Assert.Null(error);
        Assert.Null(policy);
        Assert.Equal(4, parsed.GetValue(c.Parallelism));
    }

    [Fact]
    public void Parse_ArgumentsAfterSeparator_AreLeftToTheProgram()
    {
        var (policy, error, parsed, c) = Parse("--parallelism", "2", "--elasticity", "fixed", "--schedule", "2,3", "--", "Job.dll", "--target-cpu", "x");
        Assert.Null(error);
        Assert.IsType<FixedPolicy>(policy);
        Assert.Equal(["Job.dll", "--target-cpu", "x"], parsed.GetValue(c.Program)!);
        Assert.Null(parsed.GetValue(c.Elasticity.TargetCpu));
    }

    [Fact]
    public void Parse_UnknownPolicy_NamesItAndTheKnownOnes()
    {
        var error = Fails("--elasticity", "magic");
        Assert.Contains("--elasticity", error);
        Assert.Contains("'magic'", error);
        Assert.Contains("none, utilization, runtime-target or fixed", error);
    }

    [Fact]
    public void Parse_BadNumber_NamesOptionAndValue()
    {
        Assert.Equal("--target-cpu expects a number, got '0,7'", Fails("--elasticity", "utilization", "--target-cpu", "0,7"));
        Assert.Equal("--max-parallelism expects an integer, got 'many'", Fails("--elasticity", "utilization", "--max-parallelism", "many"));
    }

    [Fact]
    public void TryCreatePolicy_ValueOutOfRange_NamesTheFlag()
    {
        Assert.Equal("--elasticity utilization: --target-cpu must be in (0, 1], not 2.", Fails("--elasticity", "utilization", "--target-cpu", "2"));
        Assert.Equal("--elasticity runtime-target: --max-parallelism must be at least --min-parallelism (4), not 2.",
            Fails("--elasticity", "runtime-target", "--target-ms", "10", "--min-parallelism", "4", "--max-parallelism", "2"));
        Assert.Equal("--elasticity runtime-target: --supersteps must be at least 1 when set, not 0.", Fails("--elasticity", "runtime-target", "--target-ms", "10", "--supersteps", "0"));
        Assert.Equal("--elasticity utilization: --cooldown must be at least 1, not 0.", Fails("--elasticity", "utilization", "--cooldown", "0"));
    }

    [Fact]
    public void TryCreatePolicy_RequiredOptionMissing_SaysWhich()
    {
        Assert.Equal("--elasticity runtime-target: needs --target-ms T (the runtime target in milliseconds).", Fails("--elasticity", "runtime-target"));
        Assert.Equal("--elasticity fixed: needs --schedule P1,P2,... (a parallelism per superstep).", Fails("--elasticity", "fixed"));
    }

    [Fact]
    public void TryCreatePolicy_OptionOfAnotherPolicy_IsRejected()
    {
        Assert.Equal("--schedule does not apply to --elasticity utilization.", Fails("--elasticity", "utilization", "--schedule", "1,2"));
        Assert.Equal("--target-cpu does not apply to --elasticity none.", Fails("--elasticity", "none", "--target-cpu", "0.5"));
        Assert.Equal("--target-ms does not apply to --elasticity fixed.", Fails("--elasticity", "fixed", "--schedule", "2", "--target-ms", "100"));
    }

    [Fact]
    public void TryCreatePolicy_PolicyOptionWithoutElasticity_NamesItAndItsPolicies()
    {
        Assert.Equal("--min-parallelism applies only with --elasticity utilization or runtime-target.", Fails("--min-parallelism", "2", "--edges", "g.txt"));
        Assert.Equal("--schedule applies only with --elasticity fixed.", Fails("--schedule", "1,2"));
    }

    [Fact]
    public void Parse_MissingOrRepeatedValue_IsRejectedNamingTheOption()
    {
        Assert.Contains("'--target-cpu'", Fails("--elasticity", "utilization", "--target-cpu"));
        Assert.StartsWith("--elasticity expects none, utilization, runtime-target or fixed, got '--target-cpu'", Fails("--elasticity", "--target-cpu", "0.5"));
        Assert.Contains("'--band' expects a single argument but 2 were provided", Fails("--elasticity", "utilization", "--band", "0.1", "--band", "0.2"));
    }

    [Fact]
    public void Parse_BadScheduleEntry_NamesIt()
    {
        Assert.Contains("'x' in '1,x'", Fails("--elasticity", "fixed", "--schedule", "1,x"));
        Assert.Equal("--elasticity fixed: --schedule entry 2 is 0; every parallelism must be at least 1.", Fails("--elasticity", "fixed", "--schedule", "1,0"));
    }

    [Fact]
    public void Help_ListsEveryOptionWithItsPolicy()
    {
        var c = new TestCommand();
        var output = new StringWriter();
        var parsed = c.Root.Parse(["--help"]);
        Assert.Equal(0, parsed.Invoke(new InvocationConfiguration { Output = output }));
        var help = output.ToString();
        foreach (var option in c.Elasticity.All) Assert.Contains(option.Name, help);
        Assert.Contains("none|utilization|runtime-target|fixed", help);
        Assert.Contains("utilization: the CPU utilization to steer toward", help);
    }
}
