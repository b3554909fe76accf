namespace Dataflow.Scheduling.Monitoring;

/// <summary>One line of a metric trace: a value of one metric of one worker at one time.</summary>
/// <param name="TimeMs">Milliseconds (Unix time when recorded by <see cref="NodeMonitor"/>, any origin otherwise).</param>
/// <param name="Worker">The worker id.</param>
/// <param name="Metric">The metric name (usually one of <see cref="MetricNames"/>).</param>
/// <param name="Value">The value; NaN when it could not be measured.</param>
public readonly record struct TracePoint(long TimeMs, string Worker, string Metric, double Value);
