using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Dataflow.CommandLine;

/// <summary>
/// Options whose values are checked as they are parsed: a value that is not a number, out of range or not one of
/// the allowed ones is a usage error whose message names the option and the value.
/// </summary>
public static class CommandLineOptions
{
    /// <summary>An integer option with a default and a lower bound.</summary>
    /// <param name="name">The option's name, e.g. <c>--iterations</c>.</param>
    /// <param name="description">What it sets, for the help text.</param>
    /// <param name="fallback">The value when the option is absent.</param>
    /// <param name="minimum">The smallest value allowed.</param>
    /// <returns>The option.</returns>
    public static Option<int> Int(string name, string description, int fallback, int minimum = int.MinValue) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, name, minimum) ?? 0,
    };

    /// <summary>An integer option without a default (null when absent), with a lower bound.</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">What it sets, for the help text.</param>
    /// <param name="minimum">The smallest value allowed.</param>
    /// <returns>The option.</returns>
    public static Option<int?> OptionalInt(string name, string description, int minimum = int.MinValue) => new(name)
    {
        Description = description,
        CustomParser = r => ParseInt(r, name, minimum),
    };

    /// <summary>
    /// An option that may stand alone or take a port: absent → null; <c>--ui</c> → <paramref name="fallback"/>;
    /// <c>--ui 9000</c> → 9000 (0: any free port).
    /// </summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">What it does, for the help text.</param>
    /// <param name="fallback">The port when the option is given without one.</param>
    /// <returns>The option.</returns>
    public static Option<int?> OptionalPort(string name, string description, int fallback) => new(name)
    {
        Description = description,
        HelpName = "PORT",
        Arity = ArgumentArity.ZeroOrOne,
        CustomParser = r =>
        {
            if (r.Tokens.Count == 0) return fallback;
            if (int.TryParse(r.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535) return port;
            r.AddError($"{name} expects a port (0-65535), got '{r.Tokens[0].Value}'");
            return null;
        },
    };

    /// <summary>A finite number with a default (invariant culture: <c>0.5</c>, not <c>0,5</c>).</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">What it sets, for the help text.</param>
    /// <param name="fallback">The value when the option is absent.</param>
    /// <returns>The option.</returns>
    public static Option<double> Double(string name, string description, double fallback) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseDouble(r, name) ?? 0,
    };

    /// <summary>A finite number without a default (null when absent).</summary>
    /// <param name="name">The option's name.</param>
    /// <param name="description">What it sets, for the help text.</param>
    /// <returns>The option.</returns>
    public static Option<double?> OptionalDouble(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r => ParseDouble(r, name),
    };

    /// <summary>Restricts <paramref name="option"/> to <paramref name="values"/>; another value is a usage error naming the option and the values.</summary>
    /// <param name="option">The option.</param>
    /// <param name="values">The values allowed (at least two).</param>
    /// <returns><paramref name="option"/>.</returns>
    public static Option<string> OneOf(Option<string> option, params string[] values)
    {
        ArgumentNullException.ThrowIfNull(option);
        if (values.Length < 2) throw new ArgumentException("Give at least two values.", nameof(values));
        option.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>();
            if (value is not null && !values.Contains(value, StringComparer.Ordinal))
            {
                r.AddError($"{option.Name} expects {string.Join(", ", values[..^1])} or {values[^1]}, got '{value}'");
            }
        });
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>
    /// Writes the usage errors of <paramref name="parsed"/> (one <c>error:</c> line each) and where to read about the
    /// options; returns the exit code of a usage error, 2.
    /// </summary>
    /// <param name="parsed">A parse result with errors.</param>
    /// <param name="error">Where to write, usually standard error.</param>
    /// <returns>2.</returns>
    public static int ReportUsageErrors(ParseResult parsed, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(error);
        foreach (var e in parsed.Errors) error.WriteLine($"error: {e.Message}");
        return ReportUsageError(parsed, error, message: null);
    }

    /// <summary>Writes a usage error found after parsing (e.g. a check across options) and where to read about the options; returns 2.</summary>
    /// <param name="parsed">The parse result, for the command's name.</param>
    /// <param name="error">Where to write, usually standard error.</param>
    /// <param name="message">What is wrong; null when already written.</param>
    /// <returns>2.</returns>
    public static int ReportUsageError(ParseResult parsed, TextWriter error, string? message)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(error);
        if (message is not null) error.WriteLine($"error: {message}");
        var names = new List<string>();
        for (SymbolResult? r = parsed.CommandResult; r is not null; r = r.Parent)
        {
            if (r is CommandResult c) names.Insert(0, c.Command.Name);
        }
        error.WriteLine($"see: {string.Join(' ', names)} --help");
        return 2;
    }

    private static int? ParseInt(ArgumentResult r, string name, int minimum)
    {
        var text = r.Tokens.Single().Value;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
        {
            r.AddError($"{name} expects an integer, got '{text}'");
            return null;
        }
        if (value < minimum)
        {
            r.AddError($"{name} must be at least {minimum.ToString(CultureInfo.InvariantCulture)}, got {text}");
            return null;
        }
        return value;
    }

    private static double? ParseDouble(ArgumentResult r, string name)
    {
        var text = r.Tokens.Single().Value;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            r.AddError($"{name} expects a number, got '{text}'");
            return null;
        }
        return value;
    }
}
