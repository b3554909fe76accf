using System.Globalization;

namespace Dataflow.Examples;

/// <summary>Minimal <c>--name value</c> parsing shared by the examples; unknown options are errors.</summary>
internal sealed class ExampleArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    /// <summary>Parses <paramref name="args"/>; every option takes a value.</summary>
    /// <exception cref="ArgumentException">An unknown option or a missing value.</exception>
    public static ExampleArgs Parse(string[] args, params string[] known) => Parse(args, [], known);

    /// <summary>Parses <paramref name="args"/>: the <paramref name="flags"/> stand alone, every other option takes a value.</summary>
    /// <exception cref="ArgumentException">An unknown option or a missing value.</exception>
    public static ExampleArgs Parse(string[] args, IReadOnlyCollection<string> flags, params string[] known)
    {
        // --elasticity POLICY [policy options] (docs/architecture.md §8) first; the rest are the example's own.
        if (!Dataflow.Elasticity.ElasticityCommandLine.TryParse(args, out var policy, out var rest, out var error)) throw new ArgumentException(error);
        args = rest;
        var set = new HashSet<string>(known, StringComparer.Ordinal) { "parallelism", "stats", "output", "placement", "predictor", "data-dir" };
        var result = new ExampleArgs { Elasticity = policy };
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{a}'.");
            var name = a[2..];
            if (flags.Contains(name))
            {
                result._flags.Add(name);
                continue;
            }
            if (!set.Contains(name)) throw new ArgumentException($"Unknown option '{a}'. Known: {string.Join(", ", set.Concat(flags).Order().Select(k => "--" + k))}.");
            if (i + 1 >= args.Length) throw new ArgumentException($"Option '{a}' needs a value.");
            result._values[name] = args[++i];
        }
        return result;
    }

    /// <summary>The rescaling policy given with <c>--elasticity</c>, or null.</summary>
    public Runtime.Extensibility.IElasticityPolicy? Elasticity { get; private init; }

    public string? Get(string name) => _values.GetValueOrDefault(name);

    /// <summary>True when the flag <c>--<paramref name="name"/></c> was given.</summary>
    public bool Has(string name) => _flags.Contains(name);

    public int GetInt(string name, int fallback) => _values.TryGetValue(name, out var v) ? ParseInt(name, v) : fallback;

    public int? GetIntOrNull(string name) => _values.TryGetValue(name, out var v) ? ParseInt(name, v) : null;

    public double GetDouble(string name, double fallback) =>
        _values.TryGetValue(name, out var v)
            ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new ArgumentException($"--{name} expects a number, got '{v}'.")
            : fallback;

    private static int ParseInt(string name, string v) =>
        int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw new ArgumentException($"--{name} expects an integer, got '{v}'.");

    /// <summary>Runs <paramref name="body"/>, turning errors into a message on stderr and exit code 1 (2 for usage errors).</summary>
    public static async Task<int> RunAsync(Func<CancellationToken, Task> body)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            await body(cts.Token);
            return 0;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        // FormatException covers InputFormatException (path:line); InvalidDataException is input that is wrong as a whole (no rows, mismatched files).
        catch (Exception e) when (e is Dataflow.JobExecutionException or Dataflow.ClusterJobException or FileNotFoundException or DirectoryNotFoundException
                                       or FormatException or InvalidDataException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }
}
