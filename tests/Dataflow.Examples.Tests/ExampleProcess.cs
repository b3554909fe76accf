using System.Diagnostics;

namespace Dataflow.Examples.Tests;

/// <summary>Runs an example program (built next to the tests) as a real process, as a user runs it.</summary>
internal static class ExampleProcess
{
    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> to the end.</summary>
    public static (int Exit, string Out, string Err) Run(string program, params string[] args) =>
        RunAsync(program, args).GetAwaiter().GetResult();

    /// <summary>Runs <paramref name="program"/>; <paramref name="environment"/> entries are set (or, when null, removed) in its environment.</summary>
    public static async Task<(int Exit, string Out, string Err)> RunAsync(string program, string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, program + ".dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // A generous guard against a hung process, not a performance bound.
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await p.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} did not finish in 2 minutes");
        }
        return (p.ExitCode, await stdout, await stderr);
    }
}
