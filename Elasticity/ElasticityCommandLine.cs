using System.Globalization;
using System.Text.RegularExpressions;
using Dataflow.Elasticity.Policies;
using Dataflow.Runtime.Extensibility;
using Microsoft.Extensions.Logging;

namespace Dataflow.Elasticity;

/// <summary>
/// Reads an elasticity policy from command-line arguments (docs/architecture.md §10) and hands the others back, so
/// a program or the launcher parses its own options from what remains.
/// </summary>
/// <example>
/// <code>
/// if (!ElasticityCommandLine.TryParse(args, out var policy, out var rest, out var error))
/// {
///     Console.Error.WriteLine(error);
///     return 2;
/// }
/// </code>
/// </example>
public static partial class ElasticityCommandLine
{
    /// <summary>The options this parser understands, for a program's help text.</summary>
    public const string Usage =
        """
          --elasticity none|utilization|runtime-target|fixed   rescale iterations at superstep barriers (default none)
            utilization:    [--target-cpu U (0.7)] [--band B (0.1)] [--cooldown K (1)] [--scale-in-patience N (1)] [--overload-memory K (10)] [--scale-out-min-superstep-ms MS (0)] [--slot-capacity CORES (1)]
                            [--min-parallelism A (1)] [--max-parallelism B (workers' slots)]
            runtime-target: --target-ms T [--supersteps N (unknown: T is per superstep)]
                            [--min-parallelism A (1)] [--max-parallelism B (workers' slots)]
            fixed:          --schedule P1,P2,...   (superstep k runs at Pk, the last repeating)
        """;

    private const string Option = "--elasticity";

    private static readonly Dictionary<string, string[]> s_optionsOf = new(StringComparer.Ordinal)
    {
        ["none"] = [],
        [UtilizationPolicy.PolicyName] = ["--target-cpu", "--band", "--cooldown", "--scale-in-patience", "--overload-memory", "--scale-out-min-superstep-ms", "--slot-capacity", "--min-parallelism", "--max-parallelism"],
        [RuntimeTargetPolicy.PolicyName] = ["--target-ms", "--supersteps", "--min-parallelism", "--max-parallelism"],
        [FixedPolicy.PolicyName] = ["--schedule"],
    };

    private static readonly HashSet<string> s_allOptions = s_optionsOf.Values.SelectMany(v => v).Append(Option).ToHashSet(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> s_flagOfProperty = new(StringComparer.Ordinal)
    {
        ["TargetCpu"] = "--target-cpu", ["Band"] = "--band", ["CooldownSupersteps"] = "--cooldown", ["ScaleInPatience"] = "--scale-in-patience", ["OverloadMemory"] = "--overload-memory", ["ScaleOutMinSuperstepMs"] = "--scale-out-min-superstep-ms", ["SlotCapacity"] = "--slot-capacity",
        ["MinParallelism"] = "--min-parallelism", ["MaxParallelism"] = "--max-parallelism", ["TargetMs"] = "--target-ms",
        ["ExpectedSupersteps"] = "--supersteps", ["Schedule"] = "--schedule",
    };

    /// <summary>
    /// Reads <c>--elasticity NAME</c> and its options (as <c>--name value</c> or <c>--name=value</c>) from
    /// the arguments before a <c>--</c>; everything else, in order, is returned in <paramref name="rest"/>.
    /// </summary>
    /// <param name="args">The program's arguments.</param>
    /// <param name="policy">The policy; null for <c>--elasticity none</c> or when <c>--elasticity</c> is absent.</param>
    /// <param name="rest">The arguments that are not the parser's (all of them when <c>--elasticity</c> is absent).</param>
    /// <param name="error">Why parsing failed (an unknown policy, a missing or malformed value, an option
    /// out of range or not of the chosen policy), or null.</param>
    /// <param name="loggerFactory">Creates the policy's logger, if given.</param>
    /// <returns>True unless the arguments are invalid.</returns>
    /// <remarks>Without <c>--elasticity</c> the policy options are left to the program, which reports them as unknown.</remarks>
    public static bool TryParse(IReadOnlyList<string> args, out IElasticityPolicy? policy, out string[] rest, out string? error,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        policy = null;
        rest = args.ToArray();
        error = null;
        int end = IndexOfSeparator(args);
        if (!args.Take(end).Any(a => a == Option || a.StartsWith(Option + "=", StringComparison.Ordinal))) return true;

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var remaining = new List<string>();
        for (int i = 0; i < end; i++)
        {
            string a = args[i];
            int eq = a.IndexOf('=');
            string name = eq > 0 && a.StartsWith("--", StringComparison.Ordinal) ? a[..eq] : a;
            if (!s_allOptions.Contains(name))
            {
                remaining.Add(a);
                continue;
            }
            string? value = eq > 0 ? a[(eq + 1)..] : i + 1 < end && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : null;
            if (string.IsNullOrEmpty(value)) return Fail(out error, $"{name} needs a value.");
            if (!values.TryAdd(name, value)) return Fail(out error, $"{name} is given twice.");
        }
        remaining.AddRange(args.Skip(end));

        string kind = values[Option];
        if (!s_optionsOf.TryGetValue(kind, out var allowed))
        {
            return Fail(out error, $"Unknown elasticity policy '{kind}'; expected one of: {string.Join(", ", s_optionsOf.Keys)}.");
        }
        foreach (var name in values.Keys)
        {
            if (name != Option && !allowed.Contains(name)) return Fail(out error, $"{name} does not apply to {Option} {kind}.");
        }
        var built = kind switch
        {
            UtilizationPolicy.PolicyName => Utilization(values, loggerFactory),
            RuntimeTargetPolicy.PolicyName => RuntimeTarget(values, loggerFactory),
            FixedPolicy.PolicyName => Fixed(values, loggerFactory),
            _ => (null, null),
        };
        if (built.Error is not null) return Fail(out error, $"{Option} {kind}: {FlagNames().Replace(built.Error, m => s_flagOfProperty[m.Value])}");
        policy = built.Policy;
        rest = remaining.ToArray();
        return true;
    }

    private static (IElasticityPolicy? Policy, string? Error) Utilization(Dictionary<string, string> values, ILoggerFactory? loggers)
    {
        var o = new UtilizationPolicyOptions();
        var error = ReadDouble(values, "--target-cpu", v => o.TargetCpu = v)
            ?? ReadDouble(values, "--band", v => o.Band = v)
            ?? ReadInt(values, "--cooldown", v => o.CooldownSupersteps = v)
            ?? ReadInt(values, "--scale-in-patience", v => o.ScaleInPatience = v)
            ?? ReadInt(values, "--overload-memory", v => o.OverloadMemory = v)
            ?? ReadDouble(values, "--scale-out-min-superstep-ms", v => o.ScaleOutMinSuperstepMs = v)
            ?? ReadDouble(values, "--slot-capacity", v => o.SlotCapacity = v)
            ?? ReadInt(values, "--min-parallelism", v => o.MinParallelism = v)
            ?? ReadInt(values, "--max-parallelism", v => o.MaxParallelism = v)
            ?? o.Error();
        return error is null ? (new UtilizationPolicy(o, loggers?.CreateLogger<UtilizationPolicy>()), null) : (null, error);
    }

    private static (IElasticityPolicy? Policy, string? Error) RuntimeTarget(Dictionary<string, string> values, ILoggerFactory? loggers)
    {
        if (!values.ContainsKey("--target-ms")) return (null, "needs --target-ms T (the runtime target in milliseconds).");
        var o = new RuntimeTargetPolicyOptions();
        var error = ReadDouble(values, "--target-ms", v => o.TargetMs = v)
            ?? ReadInt(values, "--supersteps", v => o.ExpectedSupersteps = v)
            ?? ReadInt(values, "--min-parallelism", v => o.MinParallelism = v)
            ?? ReadInt(values, "--max-parallelism", v => o.MaxParallelism = v)
            ?? o.Error();
        return error is null ? (new RuntimeTargetPolicy(o, loggers?.CreateLogger<RuntimeTargetPolicy>()), null) : (null, error);
    }

    private static (IElasticityPolicy? Policy, string? Error) Fixed(Dictionary<string, string> values, ILoggerFactory? loggers)
    {
        if (!values.TryGetValue("--schedule", out var text)) return (null, "needs --schedule P1,P2,... (a parallelism per superstep).");
        var o = new FixedPolicyOptions();
        foreach (var part in text.Split(','))
        {
            if (!int.TryParse(part.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
            {
                return (null, $"--schedule: '{part.Trim()}' in '{text}' is not an integer.");
            }
            o.Schedule.Add(p);
        }
        var error = o.Error();
        return error is null ? (new FixedPolicy(o, loggers?.CreateLogger<FixedPolicy>()), null) : (null, error);
    }

    private static string? ReadDouble(Dictionary<string, string> values, string name, Action<double> set)
    {
        if (!values.TryGetValue(name, out var text)) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v)) return $"{name}: '{text}' is not a number.";
        set(v);
        return null;
    }

    private static string? ReadInt(Dictionary<string, string> values, string name, Action<int> set)
    {
        if (!values.TryGetValue(name, out var text)) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)) return $"{name}: '{text}' is not an integer.";
        set(v);
        return null;
    }

    private static int IndexOfSeparator(IReadOnlyList<string> args)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--") return i;
        }
        return args.Count;
    }

    private static bool Fail(out string? error, string message)
    {
        error = message;
        return false;
    }

    [GeneratedRegex(@"\b(TargetCpu|Band|CooldownSupersteps|ScaleInPatience|OverloadMemory|ScaleOutMinSuperstepMs|SlotCapacity|MinParallelism|MaxParallelism|TargetMs|ExpectedSupersteps|Schedule)\b")]
    private static partial Regex FlagNames();
}
