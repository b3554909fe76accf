using System.Diagnostics;
using System.Globalization;

namespace Dataflow.Cluster;

/// <summary>Words for how a process ended: its exit code, or the signal that killed it and, for SIGKILL, whether the kernel's OOM killer sent it.</summary>
public static class ExitDescription
{
    /// <summary>
    /// Describes an exit code as .NET reports it on Unix (128 + the signal's number when a signal
    /// killed the process); <paramref name="pid"/> is looked up in the kernel log for an OOM kill.
    /// </summary>
    public static string Of(int exitCode, int pid)
    {
        if (exitCode <= 128 || exitCode > 128 + 64) return $"its process exited with code {exitCode.ToString(CultureInfo.InvariantCulture)}";
        int signal = exitCode - 128;
        var name = signal switch
        {
            1 => "SIGHUP", 2 => "SIGINT", 6 => "SIGABRT", 7 => "SIGBUS", 9 => "SIGKILL", 11 => "SIGSEGV", 15 => "SIGTERM",
            _ => "signal " + signal.ToString(CultureInfo.InvariantCulture),
        };
        var text = $"its process was killed by {name}";
        if (signal == 9 && KilledForMemory(pid)) text += " from the kernel's OOM killer: it ran out of memory (its memory limit or the machine's)";
        return text;
    }

    /// <summary>True when the kernel log says the OOM killer killed <paramref name="pid"/> (false when the log cannot be read).</summary>
    public static bool KilledForMemory(int pid)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            var info = new ProcessStartInfo("dmesg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using var dmesg = Process.Start(info);
            if (dmesg is null) return false;
            var output = dmesg.StandardOutput.ReadToEndAsync();
            if (!dmesg.WaitForExit(5000))
            {
                dmesg.Kill();
                return false;
            }
            var p = pid.ToString(CultureInfo.InvariantCulture);
            // "Killed process 1234 (dotnet) total-vm:..." or "Memory cgroup out of memory: Killed process 1234 ..."
            return output.Result.Split('\n').Any(l => l.Contains($"Killed process {p} ", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}
