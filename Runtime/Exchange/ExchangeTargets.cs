using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Runtime.Exchange;

/// <summary>Where one producer subtask sends one edge's records: the consumers' queues and the input slot there.</summary>
/// <param name="Queues">Where each consumer subtask receives (its input queue, or a network channel to it), by subtask index.</param>
/// <param name="InputIndex">The consumer-side input the edge feeds.</param>
/// <param name="ProducerSubtask">The sending subtask's index.</param>
/// <param name="BatchSize">Records per batch.</param>
/// <param name="Metrics">The sending subtask's counters.</param>
/// <param name="MaxParallelism">Number of key groups.</param>
public sealed record ExchangeTargets(
    BatchTarget[] Queues, int InputIndex, int ProducerSubtask, int BatchSize, SubtaskMetrics Metrics, int MaxParallelism);
