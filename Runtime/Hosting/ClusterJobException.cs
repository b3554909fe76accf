namespace Dataflow;

/// <summary>The job failed on the cluster: the message says where and why (a failed subtask, a lost worker).</summary>
public sealed class ClusterJobException(string message) : Exception(message);
