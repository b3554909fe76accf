using System.CommandLine;
using System.Globalization;
using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;

namespace Dataflow.CommandLine;

/// <summary>
/// The command-line form of the elasticity policies (docs/architecture.md §8): <c>--elasticity
/// none|utilization|runtime-target|fixed</c> and each policy's options, bound into the policies' option classes
/// (<see cref="UtilizationPolicyOptions"/>, <see cref="RuntimeTargetPolicyOptions"/>, <see cref="FixedPolicyOptions"/>).
/// An option of a policy other than the chosen one, or given without <c>--elasticity</c>, is a usage error naming it.
/// </summary>
/// <example>
/// <code>
/// var elasticity = new ElasticityOptions();
/// var root = new RootCommand("my job");
/// elasticity.AddTo(root);
/// var parsed = root.Parse(args);
/// if (parsed.Errors.Count > 0) return CommandLineOptions.ReportUsageErrors(parsed, Console.Error);
/// if (!elasticity.TryCreatePolicy(parsed, out var policy, out var error)) return CommandLineOptions.ReportUsageError(parsed, Console.Error, error);
/// env.UseElasticity(policy);
/// </code>
/// </example>
public sealed class ElasticityOptions
{
    /// <summary>The value of <c>--elasticity</c> that turns rescaling off (the default).</summary>
    public const string NoneName = "none";

    private static readonly string[] s_policies = [NoneName, UtilizationPolicy.PolicyName, RuntimeTargetPolicy.PolicyName, FixedPolicy.PolicyName];

    private readonly (Option Option, string[] Policies)[] _knobs;
    private readonly Dictionary<string, string> _flagOfProperty;

    /// <summary>Creates the options; each instance belongs to one command.</summary>
    public ElasticityOptions()
    {
        var u = new UtilizationPolicyOptions();
        string Num(double v) => v.ToString(CultureInfo.InvariantCulture);
        const string Utilization = UtilizationPolicy.PolicyName, RuntimeTarget = RuntimeTargetPolicy.PolicyName, Fixed = FixedPolicy.PolicyName;
        Policy = CommandLineOptions.OneOf(new Option<string>("--elasticity")
        {
            Description = "rescales iterations at superstep barriers by this policy (default none); the options below marked with a policy apply only with it",
            HelpName = string.Join('|', s_policies),
        }, s_policies);
        TargetCpu = CommandLineOptions.OptionalDouble("--target-cpu", $"{Utilization}: the CPU utilization to steer toward, in (0, 1] (default {Num(u.TargetCpu)})");
        Band = CommandLineOptions.OptionalDouble("--band", $"{Utilization}: half-width of the band around the target within which the parallelism stays, in [0, 1) (default {Num(u.Band)})");
        Cooldown = CommandLineOptions.OptionalInt("--cooldown", $"{Utilization}: supersteps at a parallelism before it may change again (default {u.CooldownSupersteps})");
        ScaleInPatience = CommandLineOptions.OptionalInt("--scale-in-patience", $"{Utilization}: consecutive supersteps below the band before scaling in (default {u.ScaleInPatience})");
        OverloadMemory = CommandLineOptions.OptionalInt("--overload-memory", $"{Utilization}: supersteps an overload is remembered: no scale-in to a parallelism overloaded within them (default {u.OverloadMemory})");
        ScaleOutMinSuperstepMs = CommandLineOptions.OptionalDouble("--scale-out-min-superstep-ms", $"{Utilization}: scales out only after a superstep of at least this many ms (default {Num(u.ScaleOutMinSuperstepMs)})");
        SlotCapacity = CommandLineOptions.OptionalDouble("--slot-capacity", $"{Utilization}: cores behind one slot, in (0, 64] (default {Num(u.SlotCapacity)})");
        MinParallelism = CommandLineOptions.OptionalInt("--min-parallelism", $"{Utilization}, {RuntimeTarget}: the smallest parallelism chosen (default {u.MinParallelism})");
        MaxParallelism = CommandLineOptions.OptionalInt("--max-parallelism", $"{Utilization}, {RuntimeTarget}: the largest parallelism chosen (default: the workers' slots)");
        TargetMs = CommandLineOptions.OptionalDouble("--target-ms", $"{RuntimeTarget} (required): the runtime target in ms: of the whole iteration with --supersteps, else of each superstep");
        Supersteps = CommandLineOptions.OptionalInt("--supersteps", $"{RuntimeTarget}: supersteps the iteration runs in total (default unknown: --target-ms is per superstep)");
        Schedule = new Option<List<int>?>("--schedule")
        {
            Description = $"{Fixed} (required): superstep k runs at parallelism Pk, the last repeating",
            CustomParser = ParseSchedule,
        };
        foreach (var (option, helpName) in new (Option, string)[]
        {
            (TargetCpu, "U"), (Band, "B"), (Cooldown, "K"), (ScaleInPatience, "N"), (OverloadMemory, "K"), (ScaleOutMinSuperstepMs, "MS"), (SlotCapacity, "CORES"),
            (MinParallelism, "A"), (MaxParallelism, "B"), (TargetMs, "T"), (Supersteps, "N"), (Schedule, "P1,P2,..."),
        })
        {
            option.HelpName = helpName;
        }
        _knobs =
        [
            (TargetCpu, [Utilization]), (Band, [Utilization]), (Cooldown, [Utilization]), (ScaleInPatience, [Utilization]),
            (OverloadMemory, [Utilization]), (ScaleOutMinSuperstepMs, [Utilization]), (SlotCapacity, [Utilization]),
            (MinParallelism, [Utilization, RuntimeTarget]), (MaxParallelism, [Utilization, RuntimeTarget]),
            (TargetMs, [RuntimeTarget]), (Supersteps, [RuntimeTarget]), (Schedule, [Fixed]),
        ];
        // How the policies' validation messages name a property on this command line.
        _flagOfProperty = new(StringComparer.Ordinal)
        {
            [nameof(UtilizationPolicyOptions.TargetCpu)] = TargetCpu.Name,
            [nameof(UtilizationPolicyOptions.Band)] = Band.Name,
            [nameof(UtilizationPolicyOptions.CooldownSupersteps)] = Cooldown.Name,
            [nameof(UtilizationPolicyOptions.ScaleInPatience)] = ScaleInPatience.Name,
            [nameof(UtilizationPolicyOptions.OverloadMemory)] = OverloadMemory.Name,
            [nameof(UtilizationPolicyOptions.ScaleOutMinSuperstepMs)] = ScaleOutMinSuperstepMs.Name,
            [nameof(UtilizationPolicyOptions.SlotCapacity)] = SlotCapacity.Name,
            [nameof(UtilizationPolicyOptions.MinParallelism)] = MinParallelism.Name,
            [nameof(UtilizationPolicyOptions.MaxParallelism)] = MaxParallelism.Name,
            [nameof(RuntimeTargetPolicyOptions.TargetMs)] = TargetMs.Name,
            [nameof(RuntimeTargetPolicyOptions.ExpectedSupersteps)] = Supersteps.Name,
            [nameof(FixedPolicyOptions.Schedule)] = Schedule.Name,
        };
    }

    /// <summary><c>--elasticity none|utilization|runtime-target|fixed</c>: the policy (absent: none).</summary>
    public Option<string> Policy { get; }

    /// <summary><c>--target-cpu U</c> (<see cref="UtilizationPolicyOptions.TargetCpu"/>).</summary>
    public Option<double?> TargetCpu { get; }

    /// <summary><c>--band B</c> (<see cref="UtilizationPolicyOptions.Band"/>).</summary>
    public Option<double?> Band { get; }

    /// <summary><c>--cooldown K</c> (<see cref="UtilizationPolicyOptions.CooldownSupersteps"/>).</summary>
    public Option<int?> Cooldown { get; }

    /// <summary><c>--scale-in-patience N</c> (<see cref="UtilizationPolicyOptions.ScaleInPatience"/>).</summary>
    public Option<int?> ScaleInPatience { get; }

    /// <summary><c>--overload-memory K</c> (<see cref="UtilizationPolicyOptions.OverloadMemory"/>).</summary>
    public Option<int?> OverloadMemory { get; }

    /// <summary><c>--scale-out-min-superstep-ms MS</c> (<see cref="UtilizationPolicyOptions.ScaleOutMinSuperstepMs"/>).</summary>
    public Option<double?> ScaleOutMinSuperstepMs { get; }

    /// <summary><c>--slot-capacity CORES</c> (<see cref="UtilizationPolicyOptions.SlotCapacity"/>).</summary>
    public Option<double?> SlotCapacity { get; }

    /// <summary><c>--min-parallelism A</c> (utilization and runtime-target).</summary>
    public Option<int?> MinParallelism { get; }

    /// <summary><c>--max-parallelism B</c> (utilization and runtime-target).</summary>
    public Option<int?> MaxParallelism { get; }

    /// <summary><c>--target-ms T</c> (<see cref="RuntimeTargetPolicyOptions.TargetMs"/>).</summary>
    public Option<double?> TargetMs { get; }

    /// <summary><c>--supersteps N</c> (<see cref="RuntimeTargetPolicyOptions.ExpectedSupersteps"/>).</summary>
    public Option<int?> Supersteps { get; }

    /// <summary><c>--schedule P1,P2,...</c> (<see cref="FixedPolicyOptions.Schedule"/>).</summary>
    public Option<List<int>?> Schedule { get; }

    /// <summary><c>--elasticity</c> and every policy's options, in the order of the help text.</summary>
    public IReadOnlyList<Option> All => [Policy, .. _knobs.Select(k => k.Option)];

    /// <summary>Adds <see cref="All"/> to <paramref name="command"/>.</summary>
    /// <param name="command">The command that takes the options.</param>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>
    /// Builds the policy chosen on the command line from a parse result without errors: null for <c>--elasticity none</c>
    /// or when <c>--elasticity</c> is absent.
    /// </summary>
    /// <param name="parsed">The parse result of a command these options were added to.</param>
    /// <param name="policy">The policy, or null.</param>
    /// <param name="error">
    /// Why the options do not make a policy (an option of another policy or without <c>--elasticity</c>, a required
    /// option missing, a value out of range), naming the option; null on success.
    /// </param>
    /// <param name="loggerFactory">Creates the policy's logger, if given.</param>
    /// <returns>True unless the options are invalid.</returns>
    public bool TryCreatePolicy(ParseResult parsed, out IElasticityPolicy? policy, out string? error, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        policy = null;
        string? kind = parsed.GetValue(Policy);
        foreach (var (option, policies) in _knobs)
        {
            if (parsed.GetResult(option) is null) continue;
            if (kind is null)
            {
                error = $"{option.Name} applies only with {Policy.Name} {string.Join(" or ", policies)}.";
                return false;
            }
            if (!policies.Contains(kind, StringComparer.Ordinal))
            {
                error = $"{option.Name} does not apply to {Policy.Name} {kind}.";
                return false;
            }
        }
        (policy, error) = kind switch
        {
            UtilizationPolicy.PolicyName => Utilization(parsed, loggerFactory),
            RuntimeTargetPolicy.PolicyName => RuntimeTarget(parsed, loggerFactory),
            FixedPolicy.PolicyName => Fixed(parsed, loggerFactory),
            null or NoneName => (null, null),
            _ => (null, $"{Policy.Name} expects {string.Join(", ", s_policies)}, got '{kind}'"),
        };
        if (error is not null && kind is not null) error = $"{Policy.Name} {kind}: {error}";
        return error is null;
    }

    private (IElasticityPolicy?, string?) Utilization(ParseResult p, ILoggerFactory? loggers)
    {
        var o = new UtilizationPolicyOptions();
        Set(p, TargetCpu, v => o.TargetCpu = v);
        Set(p, Band, v => o.Band = v);
        Set(p, Cooldown, v => o.CooldownSupersteps = v);
        Set(p, ScaleInPatience, v => o.ScaleInPatience = v);
        Set(p, OverloadMemory, v => o.OverloadMemory = v);
        Set(p, ScaleOutMinSuperstepMs, v => o.ScaleOutMinSuperstepMs = v);
        Set(p, SlotCapacity, v => o.SlotCapacity = v);
        Set(p, MinParallelism, v => o.MinParallelism = v);
        Set(p, MaxParallelism, v => o.MaxParallelism = v);
        return o.FindError(FlagOf) is { } error ? (null, error) : (new UtilizationPolicy(o, loggers?.CreateLogger<UtilizationPolicy>()), null);
    }

    private (IElasticityPolicy?, string?) RuntimeTarget(ParseResult p, ILoggerFactory? loggers)
    {
        if (p.GetResult(TargetMs) is null) return (null, $"needs {TargetMs.Name} T (the runtime target in milliseconds).");
        var o = new RuntimeTargetPolicyOptions();
        Set(p, TargetMs, v => o.TargetMs = v);
        Set(p, Supersteps, v => o.ExpectedSupersteps = v);
        Set(p, MinParallelism, v => o.MinParallelism = v);
        Set(p, MaxParallelism, v => o.MaxParallelism = v);
        return o.FindError(FlagOf) is { } error ? (null, error) : (new RuntimeTargetPolicy(o, loggers?.CreateLogger<RuntimeTargetPolicy>()), null);
    }

    private (IElasticityPolicy?, string?) Fixed(ParseResult p, ILoggerFactory? loggers)
    {
        if (p.GetResult(Schedule) is null || p.GetValue(Schedule) is not { } schedule) return (null, $"needs {Schedule.Name} P1,P2,... (a parallelism per superstep).");
        var o = new FixedPolicyOptions { Schedule = schedule };
        return o.FindError(FlagOf) is { } error ? (null, error) : (new FixedPolicy(o, loggers?.CreateLogger<FixedPolicy>()), null);
    }

    private string FlagOf(string property) => _flagOfProperty.GetValueOrDefault(property, property);

    private static void Set<T>(ParseResult parsed, Option<T?> option, Action<T> set) where T : struct
    {
        if (parsed.GetValue(option) is { } value) set(value);
    }

    private static List<int>? ParseSchedule(System.CommandLine.Parsing.ArgumentResult r)
    {
        var text = r.Tokens.Single().Value;
        var schedule = new List<int>();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int p))
            {
                r.AddError($"--schedule expects P1,P2,... (integers), got '{part.Trim()}' in '{text}'");
                return null;
            }
            schedule.Add(p);
        }
        return schedule;
    }
}
