using System.Globalization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// Workers under a real memory limit (a cgroup v1 memory group, as root): a job that outgrows it is
/// stopped by the worker's memory guard with a message that says so, and a worker the kernel's OOM
/// killer ends is reported as out of memory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MemoryLimitTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-memory-").FullName;
    private readonly string _cgroup = $"/sys/fs/cgroup/memory/dataflow-test-{Guid.NewGuid():N}";
    private readonly string _secret;
    private readonly string _wrapper;

    public MemoryLimitTests()
    {
        _secret = Path.Combine(_dir, "secret");
        Authentication.WriteNewSecret(_secret);
        // Needs root and the cgroup v1 memory controller (this project's machines have both): a missing one fails here, loudly.
        Directory.CreateDirectory(_cgroup);
        File.WriteAllText(Path.Combine(_cgroup, "memory.limit_in_bytes"), (400L << 20).ToString(CultureInfo.InvariantCulture));
        _wrapper = Path.Combine(_dir, "in-cgroup.sh");
        File.WriteAllText(_wrapper, $"#!/bin/sh\necho $$ > {_cgroup}/cgroup.procs\nexec \"$@\"\n");
    }

    public void Dispose()
    {
        Assert.Empty(Repo.ProcessesWith(_secret));
        for (int i = 0; i < 50 && Directory.Exists(_cgroup); i++)
        {
            try
            {
                Directory.Delete(_cgroup); // only once it has no process left
            }
            catch (IOException)
            {
                Thread.Sleep(100);
            }
        }
        Directory.Delete(_dir, recursive: true);
    }

    private (int Exit, string Out, string Err) RunHog(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Repo.Run(s_timeout, env, [Repo.Launcher, "run", "--workers", "1", "--worker-wrapper", $"sh {_wrapper}", "--secret-file", _secret, "--",
            Repo.TestProgram("MemoryHog"), .. args]);

    [Fact]
    public void Run_JobOutgrowingItsWorkersMemoryLimit_IsStoppedByTheGuardWithAMessageSayingSo()
    {
        // About 12 MiB/s of kept managed memory: the guard (every 500 ms heartbeat, later on a loaded machine) sees it
        // cross 90% of the heap limit (300 MiB in a 400 MiB group) well before the limit.
        var r = RunHog(null, "--megabytes", "2000", "--delay-ms", "80");
        Assert.Equal(1, r.Exit);
        Assert.Contains("before the kernel's OOM killer would end the worker", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("allocated", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("SIGKILL", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WorkerKilledByTheOomKiller_IsReportedAsOutOfMemory()
    {
        // Native memory as fast as it comes, with the guard off: the kernel's OOM killer ends the worker.
        var r = RunHog(new Dictionary<string, string> { ["DATAFLOW_MEMORY_GUARD"] = "off" }, "--megabytes", "2000", "--delay-ms", "0", "--native");
        Assert.Equal(1, r.Exit);
        Assert.Contains("killed by SIGKILL from the kernel's OOM killer", r.Err, StringComparison.Ordinal);
    }
}
