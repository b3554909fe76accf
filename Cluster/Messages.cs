using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>A message of the coordinator protocol (docs/architecture.md §7), sent as one control frame.</summary>
[Union(0, typeof(RegisterWorker))]
[Union(1, typeof(Registered))]
[Union(2, typeof(Heartbeat))]
[Union(3, typeof(SubmitJob))]
[Union(4, typeof(NeedFiles))]
[Union(5, typeof(FileChunk))]
[Union(6, typeof(StartJob))]
[Union(7, typeof(JobLoaded))]
[Union(8, typeof(StepReady))]
[Union(9, typeof(StepGo))]
[Union(10, typeof(StepDone))]
[Union(11, typeof(StepComplete))]
[Union(12, typeof(StepFailed))]
[Union(13, typeof(JobFailed))]
[Union(14, typeof(BarrierReport))]
[Union(15, typeof(BarrierRelease))]
[Union(16, typeof(Share))]
[Union(17, typeof(ProgramEnded))]
[Union(18, typeof(JobEnded))]
[Union(19, typeof(StatusRequest))]
[Union(20, typeof(StatusReply))]
[Union(21, typeof(MoveDone))]
[Union(22, typeof(PlaceRequest))]
[Union(23, typeof(PlaceReply))]
[Union(24, typeof(AcquireWorkers))]
[Union(25, typeof(Roster))]
[Union(26, typeof(ReleaseWorkers))]
[Union(27, typeof(Joined))]
[Union(28, typeof(StopCluster))]
[Union(29, typeof(Shutdown))]
[Union(30, typeof(Leaving))]
[Union(31, typeof(JobEvent))]
[Union(32, typeof(CheckpointWritten))]
[Union(33, typeof(Recoverable))]
[Union(34, typeof(Recover))]
public abstract record ControlMessage;

/// <summary>Worker → coordinator, first message: a worker offers its slots.</summary>
[MessagePackObject]
public sealed record RegisterWorker([property: Key(0)] string Name, [property: Key(1)] string Host, [property: Key(2)] int DataPort, [property: Key(3)] int Slots, [property: Key(4)] int Pid) : ControlMessage;

/// <summary>Coordinator → worker: accepted, with the worker's id.</summary>
[MessagePackObject]
public sealed record Registered([property: Key(0)] string WorkerId) : ControlMessage;

/// <summary>Worker → coordinator, periodically: alive, with its load (metric names in <see cref="Names"/>).</summary>
[MessagePackObject]
public sealed record Heartbeat([property: Key(0)] double Cpu, [property: Key(1)] long MemoryBytes, [property: Key(2)] string[] Names, [property: Key(3)] double[] Values) : ControlMessage;

/// <summary>A file of a job: path relative to the job's folder, SHA-256 of its content, size.</summary>
[MessagePackObject]
public sealed record FileEntry([property: Key(0)] string Path, [property: Key(1)] string Hash, [property: Key(2)] long Size);

/// <summary>
/// Submitter → coordinator, first message: run this program on <paramref name="Workers"/> workers (0: all free ones);
/// with <paramref name="MaxWorkers"/> &gt; 0 the job may acquire workers up to that many while it runs, and releases idle ones.
/// </summary>
[MessagePackObject]
public sealed record SubmitJob([property: Key(0)] string Entry, [property: Key(1)] string[] Args, [property: Key(2)] FileEntry[] Files, [property: Key(3)] int Workers, [property: Key(4)] string DataHost, [property: Key(5)] int DataPort, [property: Key(6)] int MaxWorkers = 0) : ControlMessage;

/// <summary>Coordinator → submitter or worker: send (or expect) these files' contents.</summary>
[MessagePackObject]
public sealed record NeedFiles([property: Key(0)] string[] Hashes) : ControlMessage;

/// <summary>A piece of a file's content.</summary>
[MessagePackObject]
public sealed record FileChunk([property: Key(0)] string Hash, [property: Key(1)] long Offset, [property: Key(2)] byte[] Data, [property: Key(3)] bool Last) : ControlMessage;

/// <summary>A process taking part in a job: the submitter (index 0) or a worker; an empty <paramref name="Id"/> is a vacant position (a released worker's).</summary>
[MessagePackObject]
public sealed record Participant([property: Key(0)] string Id, [property: Key(1)] string Host, [property: Key(2)] int DataPort, [property: Key(3)] int Slots)
{
    /// <summary>A position whose worker was released.</summary>
    public static Participant Vacant { get; } = new("", "", 0, 0);

    /// <summary>True for a vacant position (a method, so that it is not serialized).</summary>
    public bool IsVacant() => Id.Length == 0;
}

/// <summary>
/// Coordinator → submitter and workers: the job runs on these participants (as they were when the job
/// started); <paramref name="Index"/> is the receiver's position, <paramref name="Self"/> its id.
/// A worker that joins a running job (<paramref name="JoinSequence"/> &gt; 0) replays the job's logged
/// messages, which follow this one, and takes part from the <see cref="Roster"/> of that sequence on.
/// A standby that follows the job (<paramref name="JoinSequence"/> = <see cref="Follow"/>, no position yet)
/// replays it as it goes and takes part from the first roster after acquisition <paramref name="FollowAfter"/>
/// that names it (earlier ones it replays may name it too: it had been in the job before). <paramref name="Run"/> tells this
/// start of the program on the worker from earlier ones of the same job (its <see cref="ProgramEnded"/> carries it back).
/// </summary>
[MessagePackObject]
public sealed record StartJob([property: Key(0)] int Job, [property: Key(1)] string Entry, [property: Key(2)] string[] Args, [property: Key(3)] FileEntry[] Files, [property: Key(4)] Participant[] Participants, [property: Key(5)] int Index, [property: Key(6)] int Parallelism,
    [property: Key(7)] int MaxWorkers = 0, [property: Key(8)] int JoinSequence = 0, [property: Key(9)] string Self = "", [property: Key(10)] int FollowAfter = 0, [property: Key(11)] int Run = 0) : ControlMessage
{
    /// <summary>The <see cref="JoinSequence"/> of a standby that follows the job until a roster names it.</summary>
    public const int Follow = int.MaxValue;
}

/// <summary>Submitter → coordinator (every copy of the program reached the same point): the job needs <paramref name="Count"/> more workers.</summary>
[MessagePackObject]
public sealed record AcquireWorkers([property: Key(0)] int Job, [property: Key(1)] int Sequence, [property: Key(2)] int Count) : ControlMessage;

/// <summary>
/// Coordinator → participants: the job's positions after acquisition <paramref name="Sequence"/> (new workers in vacant or new positions);
/// <paramref name="FromStandby"/>: the ids of the new ones that had followed the job as standbys (they did not replay it on joining).
/// </summary>
[MessagePackObject]
public sealed record Roster([property: Key(0)] int Job, [property: Key(1)] int Sequence, [property: Key(2)] Participant[] Participants, [property: Key(3)] string[]? FromStandby = null) : ControlMessage;

/// <summary>Joining worker → coordinator: its copy of the program replayed the job up to acquisition <paramref name="Sequence"/> and takes part from now on.</summary>
[MessagePackObject]
public sealed record Joined([property: Key(0)] int Job, [property: Key(1)] int Sequence) : ControlMessage;

/// <summary>Submitter → coordinator: these positions' workers hold nothing the job needs any more; release them (every copy computed the same).</summary>
[MessagePackObject]
public sealed record ReleaseWorkers([property: Key(0)] int Job, [property: Key(1)] int[] Positions) : ControlMessage;

/// <summary>Worker → coordinator: the job's files are in place and its program runs.</summary>
[MessagePackObject]
public sealed record JobLoaded([property: Key(0)] int Job) : ControlMessage;

/// <summary>
/// Participant → coordinator: ready to run step <paramref name="Step"/>, whose plan has this
/// fingerprint and uses these parallelisms; the submitter's also names the job's placement policy
/// and load predictor (empty for the default).
/// </summary>
[MessagePackObject]
public sealed record StepReady([property: Key(0)] int Job, [property: Key(1)] int Step, [property: Key(2)] string Fingerprint, [property: Key(3)] string Description, [property: Key(4)] int[] Parallelisms, [property: Key(5)] string Placement, [property: Key(6)] string Predictor) : ControlMessage;

/// <summary>
/// Where the subtasks of one parallelism run for the rest of the job (state stays where it is).
/// </summary>
/// <param name="Parallelism">The parallelism placed.</param>
/// <param name="Policy">The policy that decided.</param>
/// <param name="Workers">The worker of each subtask.</param>
/// <param name="PredictionWorkers">Workers with a load forecast.</param>
/// <param name="PredictedLoads">Their predicted utilization.</param>
/// <param name="Bottlenecks">Whether each is predicted to be a bottleneck.</param>
[MessagePackObject]
public sealed record PlacementDecision([property: Key(0)] int Parallelism, [property: Key(1)] string Policy, [property: Key(2)] string[] Workers, [property: Key(3)] string[] PredictionWorkers, [property: Key(4)] double[] PredictedLoads, [property: Key(5)] bool[] Bottlenecks);

/// <summary>Coordinator → participants: every participant is ready; here is where new parallelisms run; send data.</summary>
[MessagePackObject]
public sealed record StepGo([property: Key(0)] int Job, [property: Key(1)] int Step, [property: Key(2)] PlacementDecision[] Decisions) : ControlMessage;

/// <summary>Participant → coordinator: its subtasks of the step have ended.</summary>
[MessagePackObject]
public sealed record StepDone([property: Key(0)] int Job, [property: Key(1)] int Step, [property: Key(2)] TaskStatistics[] Tasks) : ControlMessage;

/// <summary>Coordinator → participants: the whole step has ended; the statistics of all its subtasks.</summary>
[MessagePackObject]
public sealed record StepComplete([property: Key(0)] int Job, [property: Key(1)] int Step, [property: Key(2)] TaskStatistics[] Tasks) : ControlMessage;

/// <summary>Participant → coordinator: a local subtask failed (<paramref name="Transport"/>: because a connection broke).</summary>
[MessagePackObject]
public sealed record StepFailed([property: Key(0)] int Job, [property: Key(1)] int Step, [property: Key(2)] string Message, [property: Key(3)] bool Transport) : ControlMessage;

/// <summary>Coordinator → participants: the job failed; stop.</summary>
[MessagePackObject]
public sealed record JobFailed([property: Key(0)] int Job, [property: Key(1)] string Message) : ControlMessage;

/// <summary>Participant → coordinator at an iteration barrier: its share of the superstep's outcome.</summary>
[MessagePackObject]
public sealed record BarrierReport([property: Key(0)] int Job, [property: Key(1)] int Sequence, [property: Key(2)] string Iteration, [property: Key(3)] int Superstep, [property: Key(4)] int Participant, [property: Key(5)] long Workset, [property: Key(6)] long Criterion,
    [property: Key(7)] byte[] Aggregators, [property: Key(8)] string Worker, [property: Key(9)] double Cpu, [property: Key(10)] long MemoryBytes, [property: Key(11)] string[] MetricNames, [property: Key(12)] double[] MetricValues) : ControlMessage;

/// <summary>Coordinator → participants: every participant reached the barrier (the job's <paramref name="Sequence"/>-th); all their reports, in participant order.</summary>
[MessagePackObject]
public sealed record BarrierRelease([property: Key(0)] int Job, [property: Key(1)] int Sequence, [property: Key(2)] BarrierReport[] Reports) : ControlMessage;

/// <summary>Submitter → coordinator → workers: a value the program computed from a job's result (collect, count).</summary>
[MessagePackObject]
public sealed record Share([property: Key(0)] int Job, [property: Key(1)] int Sequence, [property: Key(2)] byte[] Data) : ControlMessage;

/// <summary>Submitter → coordinator at a superstep barrier: place <paramref name="Parallelism"/> again, given where its subtasks (and their state) are now.</summary>
[MessagePackObject]
public sealed record PlaceRequest([property: Key(0)] int Job, [property: Key(1)] int Superstep, [property: Key(2)] int Parallelism, [property: Key(3)] string[] Current) : ControlMessage;

/// <summary>Coordinator → submitter: the placement for the next superstep.</summary>
[MessagePackObject]
public sealed record PlaceReply([property: Key(0)] int Job, [property: Key(1)] int Superstep, [property: Key(2)] PlacementDecision Decision) : ControlMessage;

/// <summary>Worker → coordinator → submitter: the worker's part of move <paramref name="Epoch"/> is done, with its phases' times (ms: export, exchange, import).</summary>
[MessagePackObject]
public sealed record MoveDone([property: Key(0)] int Job, [property: Key(1)] int Epoch, [property: Key(2)] int From, [property: Key(3)] double[] PhasesMs) : ControlMessage;

/// <summary>
/// Worker → coordinator → submitter: the worker wrote its files of the checkpoint after <paramref name="Superstep"/> of
/// iteration run <paramref name="Run"/> (per file: state, subtask, bytes, XxHash64); the submitter writes the manifest once every worker has.
/// </summary>
[MessagePackObject]
public sealed record CheckpointWritten([property: Key(0)] int Job, [property: Key(1)] int Run, [property: Key(2)] int Superstep, [property: Key(3)] int From,
    [property: Key(4)] int[] States, [property: Key(5)] int[] Subtasks, [property: Key(6)] long[] Bytes, [property: Key(7)] string[] Hashes,
    [property: Key(8)] int Generation = 0) : ControlMessage;

/// <summary>
/// Submitter → coordinator: the checkpoint after <paramref name="Superstep"/> of iteration run <paramref name="Run"/> is
/// complete, so a lost worker is recovered from it (0: the run ended; a loss fails the job again).
/// </summary>
[MessagePackObject]
public sealed record Recoverable([property: Key(0)] int Job, [property: Key(1)] int Run, [property: Key(2)] int Superstep, [property: Key(3)] int Generation = 0) : ControlMessage;

/// <summary>
/// Coordinator → participants: worker <paramref name="Lost"/> (at <paramref name="Position"/>) was lost; every copy goes back
/// to the checkpoint after <paramref name="Superstep"/> of iteration run <paramref name="Run"/> and goes on in recovery
/// <paramref name="Generation"/> with the workers of <paramref name="Roster"/> (the lost position vacant, or held by
/// <paramref name="Replacement"/>, a free worker that replays the job up to the iteration), numbering its protocol anew.
/// </summary>
[MessagePackObject]
public sealed record Recover([property: Key(0)] int Job, [property: Key(1)] int Generation, [property: Key(2)] int Run, [property: Key(3)] int Superstep,
    [property: Key(4)] string Lost, [property: Key(5)] string Reason, [property: Key(6)] int Position, [property: Key(7)] Participant[] Roster,
    [property: Key(8)] string Replacement = "") : ControlMessage
{
    /// <summary>Protocol numbers (steps, barriers, shared values, moves) of recovery <paramref name="generation"/> start above this.</summary>
    public static int Base(int generation) => generation << 24;
}

/// <summary>Participant → coordinator: its copy of the program returned (or threw).</summary>
[MessagePackObject]
public sealed record ProgramEnded([property: Key(0)] int Job, [property: Key(1)] int ExitCode, [property: Key(2)] string? Error, [property: Key(3)] int Run = 0) : ControlMessage;

/// <summary>Coordinator → workers: the job is over; end the program copy if it still runs.</summary>
[MessagePackObject]
public sealed record JobEnded([property: Key(0)] int Job) : ControlMessage;

/// <summary>Client → coordinator: report the cluster's state.</summary>
[MessagePackObject]
public sealed record StatusRequest([property: Key(0)] int Version) : ControlMessage;

/// <summary>One worker in a status report; <paramref name="Follows"/>: the job it follows as a standby (0: none).</summary>
[MessagePackObject]
public sealed record WorkerStatus([property: Key(0)] string Id, [property: Key(1)] string Host, [property: Key(2)] int DataPort, [property: Key(3)] int Slots, [property: Key(4)] int Pid, [property: Key(5)] int Job, [property: Key(6)] double Cpu, [property: Key(7)] long MemoryBytes, [property: Key(8)] double SecondsSinceHeartbeat,
    [property: Key(9)] int Follows = 0);

/// <summary>One job in a status report.</summary>
[MessagePackObject]
public sealed record JobStatus([property: Key(0)] int Job, [property: Key(1)] string Entry, [property: Key(2)] string State, [property: Key(3)] string[] Workers, [property: Key(4)] int Steps, [property: Key(5)] string Progress);

/// <summary>Coordinator → client: the cluster's state.</summary>
[MessagePackObject]
public sealed record StatusReply([property: Key(0)] WorkerStatus[] Workers, [property: Key(1)] JobStatus[] Jobs) : ControlMessage;

/// <summary>Client (<c>dataflow stop</c>) → coordinator: stop the cluster (running jobs fail, workers exit, the coordinator exits); answered with a <see cref="StatusReply"/> of what is stopped.</summary>
[MessagePackObject]
public sealed record StopCluster([property: Key(0)] string Reason) : ControlMessage;

/// <summary>Coordinator → worker: exit cleanly, do not reconnect.</summary>
[MessagePackObject]
public sealed record Shutdown([property: Key(0)] string Reason) : ControlMessage;

/// <summary>Worker → coordinator, last message: it exits cleanly (its connection closing next is not a loss).</summary>
[MessagePackObject]
public sealed record Leaving([property: Key(0)] string Reason) : ControlMessage;

/// <summary>Submitter → coordinator: one statistics event of the job (a line of the <c>--stats</c> format) for the dashboard.</summary>
[MessagePackObject]
public sealed record JobEvent([property: Key(0)] int Job, [property: Key(1)] string Json) : ControlMessage;

/// <summary>
/// Encodes control messages with MessagePack: each message is a union case with an explicit key (the
/// <see cref="UnionAttribute"/>s on <see cref="ControlMessage"/>) and its fields are keyed arrays, so
/// a new message or field never shifts the others. Decoding treats its input as untrusted (depth and
/// collection limits, collision-resistant hashing); anything malformed is a <see cref="ProtocolException"/>.
/// </summary>
public static class ControlCodec
{
    private static readonly MessagePackSerializerOptions s_options = MessagePackSerializerOptions.Standard
        .WithResolver(CompositeResolver.Create([new TaskStatisticsFormatter()], [StandardResolver.Instance]))
        .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Encodes <paramref name="message"/>.</summary>
    public static byte[] Encode(ControlMessage message) => MessagePackSerializer.Serialize(message, s_options);

    /// <summary>Decodes a message; a malformed one is a <see cref="ProtocolException"/>.</summary>
    public static ControlMessage Decode(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length == 0) throw new ProtocolException("Empty control message.");
        ControlMessage? message;
        int read;
        try
        {
            message = MessagePackSerializer.Deserialize<ControlMessage>(payload, s_options, out read);
        }
        catch (MessagePackSerializationException e)
        {
            throw new ProtocolException($"Malformed control message: {(e.InnerException ?? e).Message}");
        }
        if (read != payload.Length) throw new ProtocolException($"{message?.GetType().Name ?? "Control message"}: {payload.Length - read} trailing bytes.");
        return message ?? throw new ProtocolException("Null control message.");
    }

    /// <summary>
    /// The engine's statistics record (a Runtime type, which knows nothing of MessagePack) as an array
    /// of its twelve fields in declaration order.
    /// </summary>
    private sealed class TaskStatisticsFormatter : IMessagePackFormatter<TaskStatistics?>
    {
        public void Serialize(ref MessagePackWriter writer, TaskStatistics? value, MessagePackSerializerOptions options)
        {
            if (value is null)
            {
                writer.WriteNil();
                return;
            }
            writer.WriteArrayHeader(12);
            writer.Write(value.Operator);
            writer.Write(value.Subtask);
            writer.Write(value.Worker);
            writer.Write(value.RecordsIn);
            writer.Write(value.RecordsOut);
            writer.Write(value.BytesIn);
            writer.Write(value.BytesOut);
            writer.Write(value.BusyMs);
            writer.Write(value.InputWaitMs);
            writer.Write(value.OutputWaitMs);
            writer.Write(value.CpuMs);
            writer.Write(value.AllocatedBytes);
        }

        public TaskStatistics? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
        {
            if (reader.TryReadNil()) return null;
            if (reader.ReadArrayHeader() != 12) throw new MessagePackSerializationException("A task statistics record has 12 fields.");
            return new TaskStatistics(reader.ReadString() ?? "", reader.ReadInt32(), reader.ReadString() ?? "", reader.ReadInt64(), reader.ReadInt64(),
                reader.ReadInt64(), reader.ReadInt64(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt64());
        }
    }
}

/// <summary>A connection carrying control messages; sends are thread-safe.</summary>
public sealed class ControlChannel : IAsyncDisposable
{
    private readonly FrameConnection _connection;

    /// <summary>The largest control message (shared results and file chunks travel as control messages).</summary>
    public const int MaxFrameBytes = 256 << 20;

    /// <summary>Opens an authenticated control connection.</summary>
    public static async Task<ControlChannel> ConnectAsync(System.Net.IPEndPoint endPoint, byte[] secret, CancellationToken cancellationToken = default) =>
        new(await FrameServer.ConnectAsync(endPoint, secret, cancellationToken, MaxFrameBytes).ConfigureAwait(false));

    /// <summary>Wraps an authenticated connection.</summary>
    public ControlChannel(FrameConnection connection) => _connection = connection;

    /// <summary>Sends a message.</summary>
    public async Task SendAsync(ControlMessage message, CancellationToken cancellationToken = default) =>
        await _connection.SendAsync(message is Heartbeat ? FrameType.Heartbeat : FrameType.Control, ControlCodec.Encode(message), cancellationToken).ConfigureAwait(false);

    /// <summary>Sends a message, ignoring a connection that is already gone (its loss is handled by its reader).</summary>
    public async Task TrySendAsync(ControlMessage message)
    {
        try
        {
            await SendAsync(message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
        }
    }

    /// <summary>Receives the next message, or null when the peer closed the connection.</summary>
    public async Task<ControlMessage?> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        var frame = await _connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (frame is not { } f) return null;
        if (f.Type is not (FrameType.Control or FrameType.Heartbeat)) throw new ProtocolException($"Unexpected {f.Type} frame on a control connection.");
        return ControlCodec.Decode(f.Payload);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
