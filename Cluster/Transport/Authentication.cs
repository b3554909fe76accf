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
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);

    /// <summary>Reads a secret file (its bytes, trailing whitespace ignored); it must hold at least 16 bytes.</summary>
    public static byte[] ReadSecret(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Secret file not found: {path}", path);
        var text = File.ReadAllText(path).TrimEnd();
        if (text.Length < 16) throw new ArgumentException($"The secret in {path} is shorter than 16 characters.");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>Creates a random secret file readable only by its owner.</summary>
    public static void WriteNewSecret(string path)
    {
        File.WriteAllText(path, Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static byte[] Proof(byte[] secret, string role, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        var data = new byte[role.Length + first.Length + second.Length];
        Encoding.ASCII.GetBytes(role, data);
        first.CopyTo(data.AsSpan(role.Length));
        second.CopyTo(data.AsSpan(role.Length + first.Length));
        return HMACSHA256.HashData(secret, data);
    }

    /// <summary>The server side; throws <see cref="ProtocolException"/> (drop the connection) unless the client proves the secret.</summary>
    public static async Task AcceptAsync(FrameConnection connection, byte[] secret, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        var serverNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        await connection.SendAsync(FrameType.Hello, serverNonce, timeout.Token).ConfigureAwait(false);
        var auth = await Expect(connection, FrameType.Auth, timeout.Token).ConfigureAwait(false);
        if (auth.Length != NonceBytes + 32) throw new ProtocolException("Malformed authentication frame.");
        var clientNonce = auth[..NonceBytes];
        var expected = Proof(secret, "client", serverNonce, clientNonce.Span);
        if (!CryptographicOperations.FixedTimeEquals(expected, auth.Span[NonceBytes..])) throw new ProtocolException("Authentication failed: wrong secret.");
        await connection.SendAsync(FrameType.AuthOk, Proof(secret, "server", clientNonce.Span, serverNonce), timeout.Token).ConfigureAwait(false);
    }

    /// <summary>The client side; throws <see cref="ProtocolException"/> unless the server proves the secret.</summary>
    public static async Task ConnectAsync(FrameConnection connection, byte[] secret, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        var serverNonce = await Expect(connection, FrameType.Hello, timeout.Token).ConfigureAwait(false);
        if (serverNonce.Length != NonceBytes) throw new ProtocolException("Malformed hello frame.");
        var clientNonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var payload = new byte[NonceBytes + 32];
        clientNonce.CopyTo(payload, 0);
        Proof(secret, "client", serverNonce.Span, clientNonce).CopyTo(payload, NonceBytes);
        await connection.SendAsync(FrameType.Auth, payload, timeout.Token).ConfigureAwait(false);
        ReadOnlyMemory<byte> ok;
        try
        {
            ok = await Expect(connection, FrameType.AuthOk, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ProtocolException)
        {
            throw new ProtocolException("Authentication failed: the server rejected the secret.");
        }
        if (!CryptographicOperations.FixedTimeEquals(Proof(secret, "server", clientNonce, serverNonce.Span), ok.Span))
        {
            throw new ProtocolException("Authentication failed: the server does not know the secret.");
        }
    }

    private static async Task<ReadOnlyMemory<byte>> Expect(FrameConnection connection, FrameType type, CancellationToken token)
    {
        var frame = await connection.ReceiveAsync(token).ConfigureAwait(false)
            ?? throw new ProtocolException($"Connection closed while waiting for {type}.");
        if (frame.Type != type) throw new ProtocolException($"Expected {type}, got {frame.Type}.");
        return frame.Payload;
    }
}
