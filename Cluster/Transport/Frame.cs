namespace Dataflow.Cluster.Transport;

/// <summary>Kinds of frames on a connection between engine processes.</summary>
public enum FrameType : byte
{
    /// <summary>Server → client: a fresh 32-byte challenge.</summary>
    Hello = 1,

    /// <summary>Client → server: the client's challenge and its proof of the shared secret.</summary>
    Auth = 2,

    /// <summary>Server → client: the server's proof; the connection is authenticated.</summary>
    AuthOk = 3,

    /// <summary>A serialized record batch on a channel (payload: channel id, then the batch).</summary>
    Data = 10,

    /// <summary>Receiver → sender: permission to send more batches on a channel (payload: channel id, credits).</summary>
    Credit = 11,

    /// <summary>A control message (payload defined by the coordinator protocol).</summary>
    Control = 20,

    /// <summary>Liveness and metrics of a worker.</summary>
    Heartbeat = 21,
}

/// <summary>One frame: a type and a payload (which the receiver owns).</summary>
/// <param name="Type">The frame type.</param>
/// <param name="Payload">The payload bytes.</param>
public readonly record struct Frame(FrameType Type, ReadOnlyMemory<byte> Payload);

/// <summary>A peer broke the protocol: the connection is dropped, the process goes on.</summary>
public sealed class ProtocolException(string message) : Exception(message);
