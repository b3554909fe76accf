using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Mutual HMAC-SHA256 challenge–response over a shared secret: the server proves it knows the
/// secret too, and neither side ever sends it. Nonces are fresh per connection, so a recorded
/// exchange cannot be replayed.
/// </summary>
public static class Authentication
{
    private const int NonceBytes = 32;

    /// <summary>
    /// Reads a secret file (its bytes, trailing whitespace ignored); it must hold at least 16 bytes
    /// and, like an ssh key, be readable by its owner only.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The file is readable or writable by group or others.</exception>
    public static byte[] ReadSecret(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Secret file not found: {path}", path);
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode open = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & open) != 0)
            {
                throw new UnauthorizedAccessException(
                    $"The secret file {path} is accessible by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); run 'chmod 600 {path}' and try again.");
            }
        }
        var text = File.ReadAllText(path).TrimEnd();
        if (text.Length < 16) throw new ArgumentException($"The secret in {path} is shorter than 16 characters.");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// Creates a random secret file readable only by its owner: created with mode 0600 (never briefly
    /// readable by others), and only if no file of that name exists.
    /// </summary>
    /// <exception cref="IOException">The file exists.</exception>
    public static void WriteNewSecret(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        stream.Write(Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(32))));
    }

    /// <summary>
    /// The proof of one side: an HMAC over its role, both nonces and the channel binding (the SHA-256
    /// of the server's TLS certificate). A man in the middle terminating TLS shows the client its own
    /// certificate, so the client's proof does not verify at the server, which knows its own.
    /// </summary>
    private static byte[] Proof(byte[] secret, string role, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, ReadOnlySpan<byte> binding)
    {
        var data = new byte[role.Length + first.Length + second.Length + binding.Length];
        Encoding.ASCII.GetBytes(role, data);
        first.CopyTo(data.AsSpan(role.Length));
        second.CopyTo(data.AsSpan(role.Length + first.Length));
        binding.CopyTo(data.AsSpan(role.Length + first.Length + second.Length));
        return HMACSHA256.HashData(secret, data);
    }

    /// <summary>
    /// The largest frame either side accepts before the handshake has succeeded: the handshake's
    /// frames are under 200 bytes (nonces, proofs, build identities), and a stranger must not make a process buffer more than this.
    /// </summary>
    public const int HandshakeFrameBytes = 256;

    /// <summary>How long a peer has to complete the handshake.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The server side, on the raw stream before any buffering: reads exactly the handshake's bytes,
    /// so nothing of a stranger's is buffered beyond <see cref="HandshakeFrameBytes"/> and nothing
    /// after the handshake is consumed. Throws <see cref="ProtocolException"/> (drop the connection)
    /// unless the client proves the secret within <see cref="HandshakeTimeout"/>.
    /// </summary>
    /// <param name="stream">The connection (inside TLS when <paramref name="binding"/> is not empty).</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="binding">What ties the proof to this channel: the SHA-256 of the server's TLS certificate, or empty without TLS.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    public static Task AcceptAsync(Stream stream, byte[] secret, byte[] binding, CancellationToken cancellationToken) =>
        AcceptAsync(stream, secret, binding, BuildIdentity.Current, cancellationToken);

    /// <summary>The server side, as a process of build <paramref name="build"/> (tests: a process of another build).</summary>
    internal static async Task AcceptAsync(Stream stream, byte[] secret, byte[] binding, string build, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            var serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
            await WriteAsync(stream, FrameType.Hello, [.. serverNonce, .. Encoding.UTF8.GetBytes(build)], timeout.Token).ConfigureAwait(false);
            var auth = await ExpectAsync(stream, FrameType.Auth, timeout.Token).ConfigureAwait(false);
            if (auth.Length < NonceBytes + 32) throw new ProtocolException("Malformed authentication frame.");
            var peerBuild = Encoding.UTF8.GetString(auth.AsSpan(NonceBytes + 32));
            var clientNonce = auth.AsSpan(0, NonceBytes);
            var expected = Proof(secret, "client", serverNonce, clientNonce, binding);
            if (!CryptographicOperations.FixedTimeEquals(expected, auth.AsSpan(NonceBytes, 32))) throw new ProtocolException("Authentication failed: wrong secret.");
            if (peerBuild != build) throw new ProtocolException($"Refused a peer of another build ({Printable(peerBuild)}; this process: {build}).");
            await WriteAsync(stream, FrameType.AuthOk, Proof(secret, "server", clientNonce, serverNonce, binding), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProtocolException($"No handshake within {HandshakeTimeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>The client side; throws <see cref="ProtocolException"/> unless the server proves the secret.</summary>
    /// <param name="stream">The connection (inside TLS when <paramref name="binding"/> is not empty).</param>
    /// <param name="secret">The shared secret.</param>
    /// <param name="binding">The SHA-256 of the certificate the server showed, or empty without TLS.</param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    public static Task ConnectAsync(Stream stream, byte[] secret, byte[] binding, CancellationToken cancellationToken) =>
        ConnectAsync(stream, secret, binding, BuildIdentity.Current, cancellationToken);

    /// <summary>The client side, as a process of build <paramref name="build"/> (tests: a process of another build).</summary>
    internal static async Task ConnectAsync(Stream stream, byte[] secret, byte[] binding, string build, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            var hello = await ExpectAsync(stream, FrameType.Hello, timeout.Token).ConfigureAwait(false);
            if (hello.Length < NonceBytes) throw new ProtocolException("Malformed hello frame.");
            var serverNonce = hello[..NonceBytes];
            var peerBuild = Encoding.UTF8.GetString(hello.AsSpan(NonceBytes));
            if (peerBuild != build)
            {
                throw new ProtocolException($"The peer runs another build of Dataflow ({Printable(peerBuild)}); this process: {build}. Run the same build on every process of a cluster.");
            }
            var clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
            var buildBytes = Encoding.UTF8.GetBytes(build);
            var payload = new byte[NonceBytes + 32 + buildBytes.Length];
            clientNonce.CopyTo(payload, 0);
            Proof(secret, "client", serverNonce, clientNonce, binding).CopyTo(payload, NonceBytes);
            buildBytes.CopyTo(payload, NonceBytes + 32);
            await WriteAsync(stream, FrameType.Auth, payload, timeout.Token).ConfigureAwait(false);
            byte[] ok;
            try
            {
                ok = await ExpectAsync(stream, FrameType.AuthOk, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ProtocolException)
            {
                throw new ProtocolException("Authentication failed: the server rejected the secret.");
            }
            if (!CryptographicOperations.FixedTimeEquals(Proof(secret, "server", clientNonce, serverNonce, binding), ok))
            {
                throw new ProtocolException("Authentication failed: the server does not know the secret.");
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProtocolException($"No handshake within {HandshakeTimeout.TotalSeconds:0} s.");
        }
    }

    /// <summary>A peer's build for a message, quoted (control characters a stranger might send escaped).</summary>
    private static string Printable(string text) => Dataflow.InputFormatException.Quote(text);

    private static async Task WriteAsync(Stream stream, FrameType type, byte[] payload, CancellationToken token)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payload.Length + 1);
        frame[4] = (byte)type;
        payload.CopyTo(frame, 5);
        await stream.WriteAsync(frame, token).ConfigureAwait(false);
        await stream.FlushAsync(token).ConfigureAwait(false);
    }

    private static async Task<byte[]> ExpectAsync(Stream stream, FrameType type, CancellationToken token)
    {
        var header = new byte[5];
        try
        {
            await stream.ReadExactlyAsync(header, token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadInt32LittleEndian(header);
            if (length < 1 || length > HandshakeFrameBytes) throw new ProtocolException($"Invalid frame length {length} during the handshake (limit {HandshakeFrameBytes}).");
            if ((FrameType)header[4] != type) throw new ProtocolException($"Expected {type}, got frame type {header[4]}.");
            var payload = new byte[length - 1];
            await stream.ReadExactlyAsync(payload, token).ConfigureAwait(false);
            return payload;
        }
        catch (EndOfStreamException)
        {
            throw new ProtocolException($"Connection closed while waiting for {type}.");
        }
    }
}
