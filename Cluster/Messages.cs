using Dataflow.Runtime.Serialization;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>A message of the coordinator protocol (docs/architecture.md §7), sent as one control frame.</summary>
public abstract record ControlMessage;

/// <summary>Worker → coordinator, first message: a worker offers its slots.</summary>
public sealed record RegisterWorker(string Name, string Host, int DataPort, int Slots, int Pid) : ControlMessage;

/// <summary>Coordinator → worker: accepted, with the worker's id.</summary>
public sealed record Registered(string WorkerId) : ControlMessage;

/// <summary>Worker → coordinator, periodically: alive, with its load (metric names in <see cref="Names"/>).</summary>
public sealed record Heartbeat(double Cpu, long MemoryBytes, string[] Names, double[] Values) : ControlMessage;

/// <summary>A file of a job: path relative to the job's folder, SHA-256 of its content, size.</summary>
public sealed record FileEntry(string Path, string Hash, long Size);

/// <summary>
/// Submitter → coordinator, first message: run this program on <paramref name="Workers"/> workers (0: all free ones);
/// with <paramref name="MaxWorkers"/> &gt; 0 the job may acquire workers up to that many while it runs, and releases idle ones.
/// </summary>
public sealed record SubmitJob(string Entry, string[] Args, FileEntry[] Files, int Workers, string DataHost, int DataPort, int MaxWorkers = 0) : ControlMessage;

/// <summary>Coordinator → submitter or worker: send (or expect) these files' contents.</summary>
public sealed record NeedFiles(string[] Hashes) : ControlMessage;

/// <summary>A piece of a file's content.</summary>
public sealed record FileChunk(string Hash, long Offset, byte[] Data, bool Last) : ControlMessage;

/// <summary>A process taking part in a job: the submitter (index 0) or a worker; an empty <paramref name="Id"/> is a vacant position (a released worker's).</summary>
public sealed record Participant(string Id, string Host, int DataPort, int Slots)
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
public sealed record StartJob(int Job, string Entry, string[] Args, FileEntry[] Files, Participant[] Participants, int Index, int Parallelism,
    int MaxWorkers = 0, int JoinSequence = 0, string Self = "", int FollowAfter = 0, int Run = 0) : ControlMessage
{
    /// <summary>The <see cref="JoinSequence"/> of a standby that follows the job until a roster names it.</summary>
    public const int Follow = int.MaxValue;
}

/// <summary>Submitter → coordinator (every copy of the program reached the same point): the job needs <paramref name="Count"/> more workers.</summary>
public sealed record AcquireWorkers(int Job, int Sequence, int Count) : ControlMessage;

/// <summary>
/// Coordinator → participants: the job's positions after acquisition <paramref name="Sequence"/> (new workers in vacant or new positions);
/// <paramref name="FromStandby"/>: the ids of the new ones that had followed the job as standbys (they did not replay it on joining).
/// </summary>
public sealed record Roster(int Job, int Sequence, Participant[] Participants, string[]? FromStandby = null) : ControlMessage;

/// <summary>Joining worker → coordinator: its copy of the program replayed the job up to acquisition <paramref name="Sequence"/> and takes part from now on.</summary>
public sealed record Joined(int Job, int Sequence) : ControlMessage;

/// <summary>Submitter → coordinator: these positions' workers hold nothing the job needs any more; release them (every copy computed the same).</summary>
public sealed record ReleaseWorkers(int Job, int[] Positions) : ControlMessage;

/// <summary>Worker → coordinator: the job's files are in place and its program runs.</summary>
public sealed record JobLoaded(int Job) : ControlMessage;

/// <summary>
/// Participant → coordinator: ready to run step <paramref name="Step"/>, whose plan has this
/// fingerprint and uses these parallelisms; the submitter's also names the job's placement policy
/// and load predictor (empty for the default).
/// </summary>
public sealed record StepReady(int Job, int Step, string Fingerprint, string Description, int[] Parallelisms, string Placement, string Predictor) : ControlMessage;

/// <summary>
/// Where the subtasks of one parallelism run for the rest of the job (state stays where it is).
/// </summary>
/// <param name="Parallelism">The parallelism placed.</param>
/// <param name="Policy">The policy that decided.</param>
/// <param name="Workers">The worker of each subtask.</param>
/// <param name="PredictionWorkers">Workers with a load forecast.</param>
/// <param name="PredictedLoads">Their predicted utilization.</param>
/// <param name="Bottlenecks">Whether each is predicted to be a bottleneck.</param>
public sealed record PlacementDecision(int Parallelism, string Policy, string[] Workers, string[] PredictionWorkers, double[] PredictedLoads, bool[] Bottlenecks);

/// <summary>Coordinator → participants: every participant is ready; here is where new parallelisms run; send data.</summary>
public sealed record StepGo(int Job, int Step, PlacementDecision[] Decisions) : ControlMessage;

/// <summary>Participant → coordinator: its subtasks of the step have ended.</summary>
public sealed record StepDone(int Job, int Step, TaskStatistics[] Tasks) : ControlMessage;

/// <summary>Coordinator → participants: the whole step has ended; the statistics of all its subtasks.</summary>
public sealed record StepComplete(int Job, int Step, TaskStatistics[] Tasks) : ControlMessage;

/// <summary>Participant → coordinator: a local subtask failed (<paramref name="Transport"/>: because a connection broke).</summary>
public sealed record StepFailed(int Job, int Step, string Message, bool Transport) : ControlMessage;

/// <summary>Coordinator → participants: the job failed; stop.</summary>
public sealed record JobFailed(int Job, string Message) : ControlMessage;

/// <summary>Participant → coordinator at an iteration barrier: its share of the superstep's outcome.</summary>
public sealed record BarrierReport(int Job, int Sequence, string Iteration, int Superstep, int Participant, long Workset, long Criterion,
    byte[] Aggregators, string Worker, double Cpu, long MemoryBytes, string[] MetricNames, double[] MetricValues) : ControlMessage;

/// <summary>Coordinator → participants: every participant reached the barrier (the job's <paramref name="Sequence"/>-th); all their reports, in participant order.</summary>
public sealed record BarrierRelease(int Job, int Sequence, BarrierReport[] Reports) : ControlMessage;

/// <summary>Submitter → coordinator → workers: a value the program computed from a job's result (collect, count).</summary>
public sealed record Share(int Job, int Sequence, byte[] Data) : ControlMessage;

/// <summary>Submitter → coordinator at a superstep barrier: place <paramref name="Parallelism"/> again, given where its subtasks (and their state) are now.</summary>
public sealed record PlaceRequest(int Job, int Superstep, int Parallelism, string[] Current) : ControlMessage;

/// <summary>Coordinator → submitter: the placement for the next superstep.</summary>
public sealed record PlaceReply(int Job, int Superstep, PlacementDecision Decision) : ControlMessage;

/// <summary>Worker → coordinator → submitter: the worker's part of move <paramref name="Epoch"/> is done, with its phases' times (ms: export, exchange, import).</summary>
public sealed record MoveDone(int Job, int Epoch, int From, double[] PhasesMs) : ControlMessage;

/// <summary>Participant → coordinator: its copy of the program returned (or threw).</summary>
public sealed record ProgramEnded(int Job, int ExitCode, string? Error, int Run = 0) : ControlMessage;

/// <summary>Coordinator → workers: the job is over; end the program copy if it still runs.</summary>
public sealed record JobEnded(int Job) : ControlMessage;

/// <summary>Client → coordinator: report the cluster's state.</summary>
public sealed record StatusRequest(int Version) : ControlMessage;

/// <summary>One worker in a status report; <paramref name="Follows"/>: the job it follows as a standby (0: none).</summary>
public sealed record WorkerStatus(string Id, string Host, int DataPort, int Slots, int Pid, int Job, double Cpu, long MemoryBytes, double SecondsSinceHeartbeat,
    int Follows = 0);

/// <summary>One job in a status report.</summary>
public sealed record JobStatus(int Job, string Entry, string State, string[] Workers, int Steps, string Progress);

/// <summary>Coordinator → client: the cluster's state.</summary>
public sealed record StatusReply(WorkerStatus[] Workers, JobStatus[] Jobs) : ControlMessage;

/// <summary>Client (<c>dataflow stop</c>) → coordinator: stop the cluster (running jobs fail, workers exit, the coordinator exits); answered with a <see cref="StatusReply"/> of what is stopped.</summary>
public sealed record StopCluster(string Reason) : ControlMessage;

/// <summary>Coordinator → worker: exit cleanly, do not reconnect.</summary>
public sealed record Shutdown(string Reason) : ControlMessage;

/// <summary>Worker → coordinator, last message: it exits cleanly (its connection closing next is not a loss).</summary>
public sealed record Leaving(string Reason) : ControlMessage;

/// <summary>Encodes control messages: a tag byte (the message type) and the record's fields.</summary>
public static class ControlCodec
{
    private static readonly Type[] s_types =
    [
        typeof(RegisterWorker), typeof(Registered), typeof(Heartbeat), typeof(SubmitJob), typeof(NeedFiles), typeof(FileChunk),
        typeof(StartJob), typeof(JobLoaded), typeof(StepReady), typeof(StepGo), typeof(StepDone), typeof(StepComplete),
        typeof(StepFailed), typeof(JobFailed), typeof(BarrierReport), typeof(BarrierRelease), typeof(Share), typeof(ProgramEnded),
        typeof(JobEnded), typeof(StatusRequest), typeof(StatusReply), typeof(MoveDone), typeof(PlaceRequest), typeof(PlaceReply),
        typeof(AcquireWorkers), typeof(Roster), typeof(ReleaseWorkers), typeof(Joined), typeof(StopCluster), typeof(Shutdown),
        typeof(Leaving),
    ];

    private static readonly Dictionary<Type, (byte Tag, Action<ByteWriter, ControlMessage> Write)> s_writers = new();
    private static readonly Func<ByteReader, ControlMessage>[] s_readers;

    static ControlCodec()
    {
        s_readers = new Func<ByteReader, ControlMessage>[s_types.Length];
        var make = typeof(ControlCodec).GetMethod(nameof(Make), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        for (int i = 0; i < s_types.Length; i++)
        {
            var (write, read) = ((Action<ByteWriter, ControlMessage>, Func<ByteReader, ControlMessage>))make.MakeGenericMethod(s_types[i]).Invoke(null, null)!;
            s_writers[s_types[i]] = ((byte)i, write);
            s_readers[i] = read;
        }
    }

    private static (Action<ByteWriter, ControlMessage>, Func<ByteReader, ControlMessage>) Make<T>() where T : ControlMessage
    {
        var serializer = Serializers.Get<T>();
        return ((w, m) => serializer.Write(w, (T)m), r => serializer.Read(r));
    }

    /// <summary>Encodes <paramref name="message"/>.</summary>
    public static byte[] Encode(ControlMessage message)
    {
        var (tag, write) = s_writers[message.GetType()];
        var w = new ByteWriter(256);
        w.Write(tag);
        write(w, message);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a message; a malformed one is a <see cref="ProtocolException"/>.</summary>
    public static ControlMessage Decode(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length == 0) throw new ProtocolException("Empty control message.");
        byte tag = payload.Span[0];
        if (tag >= s_readers.Length) throw new ProtocolException($"Unknown control message {tag}.");
        try
        {
            var r = new ByteReader(payload[1..]);
            var m = s_readers[tag](r);
            if (r.Remaining != 0) throw new ProtocolException($"{s_types[tag].Name}: {r.Remaining} trailing bytes.");
            return m ?? throw new ProtocolException($"Null {s_types[tag].Name}.");
        }
        catch (SerializationException e)
        {
            throw new ProtocolException($"Malformed {s_types[tag].Name}: {e.Message}");
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
