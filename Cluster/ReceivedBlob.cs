using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster;

/// <summary>
/// A blob received whole (<see cref="DataPlane.ReceiveRentedBlobAsync"/>), in a buffer rented from
/// <see cref="ArrayPool{T}.Shared"/>; <see cref="Dispose"/> returns the buffer (once).
/// </summary>
public sealed class ReceivedBlob : IDisposable
{
    private byte[]? _buffer;

    internal ReceivedBlob(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    /// <summary>The blob's length in bytes.</summary>
    public int Length { get; }

    /// <summary>The blob's bytes (valid until <see cref="Dispose"/>).</summary>
    /// <exception cref="ObjectDisposedException">The blob was disposed.</exception>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(ReceivedBlob))).AsMemory(0, Length);

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is { Length: > 0 }) ArrayPool<byte>.Shared.Return(buffer);
    }
}
