using Dataflow.Runtime.Statistics;

namespace Dataflow;

/// <summary>The statistics record of one subtask (docs/architecture.md §6).</summary>
/// <param name="Operator">The operator (chain) name.</param>
/// <param name="Subtask">The subtask index.</param>
/// <param name="Worker">The worker that ran it (<c>local</c> when embedded).</param>
/// <param name="RecordsIn">Records consumed.</param>
/// <param name="RecordsOut">Records produced.</param>
/// <param name="BytesIn">Bytes received across the network.</param>
/// <param name="BytesOut">Bytes sent across the network.</param>
/// <param name="BusyMs">Wall time not spent blocked on input or output.</param>
/// <param name="InputWaitMs">Time blocked waiting for input.</param>
/// <param name="OutputWaitMs">Time blocked on back-pressure.</param>
/// <param name="CpuMs">Thread CPU time.</param>
/// <param name="AllocatedBytes">Bytes allocated by the subtask's thread.</param>
public sealed record TaskStatistics(
    string Operator, int Subtask, string Worker, long RecordsIn, long RecordsOut, long BytesIn, long BytesOut,
    double BusyMs, double InputWaitMs, double OutputWaitMs, double CpuMs, long AllocatedBytes)
{
    internal static TaskStatistics From(string op, int subtask, SubtaskMetrics m)
    {
        double ms(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        double wall = ms(m.WallTicks), inWait = ms(m.InputWaitTicks), outWait = ms(m.OutputWaitTicks);
        return new TaskStatistics(op, subtask, "local", m.RecordsIn, m.RecordsOut, m.BytesIn, m.BytesOut,
            Math.Max(0, wall - inWait - outWait), inWait, outWait, m.CpuNanos / 1e6, m.AllocatedBytes);
    }
}

/// <summary>What a finished job reports.</summary>
/// <param name="Duration">Wall time of the job.</param>
/// <param name="Tasks">Statistics of every subtask.</param>
public sealed record JobExecutionResult(TimeSpan Duration, IReadOnlyList<TaskStatistics> Tasks);
