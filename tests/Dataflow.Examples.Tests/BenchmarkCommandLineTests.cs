using System.Diagnostics;

namespace Dataflow.Examples.Tests;

/// <summary>The benchmarks' command lines (System.CommandLine): --help everywhere, usage errors exit 2 naming the option.</summary>
public sealed class BenchmarkCommandLineTests
{
    private static readonly string s_root = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dataflow.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"Dataflow.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Runs benchmark <paramref name="folder"/>'s program (built next to its project) to the end.</summary>
    private static (int Exit, string Out, string Err) Run(string folder, string program, string args)
    {
        var dll = Path.Combine(s_root, "benchmarks", folder, "bin", "Release", "net10.0", program + ".dll");
        Assert.True(File.Exists(dll), $"{dll} is not built");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // A generous guard against a hung process, not a performance bound.
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {args} did not finish in 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Theory]
    [InlineData("Harness", "Harness", "--help", "--reps --workloads --modes --data --scale --points --text-mb --out measure cluster")]
    [InlineData("Harness", "Harness", "measure --help", "--workload --mode --data")]
    [InlineData("Harness", "Harness", "cluster --help", "--megabytes --pagerank --iterations --reps --out")]
    [InlineData("Bottleneck", "Bottleneck", "--help", "generate query experiment")]
    [InlineData("Bottleneck", "Bottleneck", "generate --help", "--data --pages --visits --seed")]
    [InlineData("Bottleneck", "Bottleneck", "query --help", "--query --data --parallelism --placement --predictor --stats")]
    [InlineData("Bottleneck", "Bottleneck", "experiment --help", "--queries --seed --data --quota --bottlenecks --parallelism --pages --visits")]
    [InlineData("Elasticity", "ElasticityExperiment", "--help", "--nodes --quota --slots --scale --points --iterations --plot")]
    public void Help_EveryBenchmark_ExitsZeroAndListsItsOptions(string folder, string program, string args, string listed)
    {
        var (exit, stdout, stderr) = Run(folder, program, args);
        Assert.True(exit == 0, stderr);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        foreach (var item in listed.Split(' ')) Assert.Contains(item, stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Harness", "Harness", "--rep 2", "'--rep'")]
    [InlineData("Harness", "Harness", "--scale big", "--scale expects an integer, got 'big'")]
    [InlineData("Harness", "Harness", "measure --workload pagerank --mode engine-p3", "--mode expects baseline, engine-p1 or engine-p2, got 'engine-p3'")]
    [InlineData("Bottleneck", "Bottleneck", "query --query scna --data d", "--query expects scan, aggregate, join or iterate, got 'scna'")]
    [InlineData("Bottleneck", "Bottleneck", "experiment --quries 3", "'--quries'")]
    [InlineData("Bottleneck", "Bottleneck", "generate", "--data")]
    [InlineData("Elasticity", "ElasticityExperiment", "--nodes vms", "--nodes expects threads or processes, got 'vms'")]
    [InlineData("Elasticity", "ElasticityExperiment", "--quota half", "--quota expects a number, got 'half'")]
    public void UsageError_ExitsTwoNamingTheOption(string folder, string program, string args, string message)
    {
        var (exit, _, stderr) = Run(folder, program, args);
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }
}
