using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Statistics;

namespace Dataflow.Cluster;

public sealed partial class ClusterSession
{
    /// <summary>Where a step's subtasks run in a cluster job: this participant's share, connected to the others through the data plane.</summary>
    private sealed class Site(ClusterSession session, int step, string fingerprint, string description) : ExecutionSite
    {
        public override bool IsLocal(JobVertex vertex, int subtask) => session.HostOf(vertex, subtask) == session.Index;

        public override async Task PrepareAsync(JobGraph graph, CancellationToken cancellationToken)
        {
            var go = session.Await(Reply.Go, step);
            int[] parallelisms;
            parallelisms = session._hosts.Unpinned(graph.Vertices.Where(v => !v.IsResultSink).Select(v => v.Parallelism).Distinct());
            await session._control.SendAsync(new StepReady(session.Job, step, fingerprint, description, parallelisms,
                session.Placement.Policy, session.Placement.Predictor), cancellationToken).ConfigureAwait(false);
            var answer = (StepGo)await go.WaitAsync(cancellationToken).ConfigureAwait(false);
            session.ApplyPlacement(step, answer.Decisions);
        }

        // Batches that arrive before this (from faster peers) wait in the data plane until now.
        public override void Attach(IReadOnlyDictionary<JobVertex, InputQueue?[]> queues, JobAbort abort) =>
            session._data.Register(session.Job, step, queues);

        public override BatchTarget Connect(JobEdge edge, int producer, int consumer, JobAbort abort, SubtaskMetrics metrics)
        {
            var key = new ChannelKey(session.Job, step, edge.Target.Id, edge.TargetInput, consumer, producer);
            var codec = edge.Codec ?? throw new InvalidOperationException($"The edge into {edge.Target.Name} cannot cross processes (no codec).");
            return session._data.Connect(key, session.EndpointOf(session.HostOf(edge.Target, consumer)), codec, abort, session._credits, metrics);
        }

        public override void Detach(bool aborted)
        {
            // Receivers stay registered until the step has ended everywhere (RunStepAsync).
        }
    }
}
