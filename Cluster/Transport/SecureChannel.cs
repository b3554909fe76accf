using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Opens a connection between engine processes: TLS 1.3 first (on by default), then the shared-secret
/// handshake of <see cref="Authentication"/> inside it, bound to the server's certificate. No
/// certificate authority is needed: each process makes a self-signed certificate when it starts, the
/// client accepts any certificate, and the shared secret — proved over the certificate's hash —
/// is what authenticates both ends. TLS encrypts and integrity-protects everything after it (job
/// files, control messages, record batches).
/// </summary>
public static class SecureChannel
{
    private static readonly Lazy<X509Certificate2> s_certificate = new(CreateCertificate);

    /// <summary>
    /// AES-128-GCM first: cheaper per byte than AES-256-GCM (a plain SslStream on loopback moved 13%
    /// more, docs/benchmarks.md), and 128-bit keys are ample here.
    /// Null (the platform's default order) where the platform does not let it be set.
    /// </summary>
    private static readonly CipherSuitesPolicy? s_suites = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()
        ? new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256])
        : null;

    /// <summary>
    /// True unless the environment variable <c>DATAFLOW_TLS</c> is <c>off</c> (every process of a
    /// cluster must agree; a plaintext peer of a TLS process fails its handshake). Off is for
    /// measuring what TLS costs, or a network that is encrypted below the engine.
    /// </summary>
    public static bool TlsEnabled { get; } = !string.Equals(Environment.GetEnvironmentVariable("DATAFLOW_TLS"), "off", StringComparison.OrdinalIgnoreCase);

    private static X509Certificate2 CreateCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=dataflow", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }

    /// <summary>The server side: returns the stream to use (TLS or the plain one) once the client proved the secret.</summary>
    /// <exception cref="ProtocolException">The TLS or shared-secret handshake failed or took too long.</exception>
    public static async Task<Stream> AcceptAsync(Stream stream, byte[] secret, CancellationToken cancellationToken)
    {
        if (!TlsEnabled)
        {
            await Authentication.AcceptAsync(stream, secret, [], cancellationToken).ConfigureAwait(false);
            return stream;
        }
        var certificate = s_certificate.Value;
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificateRequired = false,
                CipherSuitesPolicy = s_suites,
            };
            await HandshakeAsync(token => tls.AuthenticateAsServerAsync(options, token), cancellationToken).ConfigureAwait(false);
            await Authentication.AcceptAsync(tls, secret, SHA256.HashData(certificate.RawData), cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The client side: returns the stream to use once the server proved the secret.</summary>
    /// <exception cref="ProtocolException">The TLS or shared-secret handshake failed or took too long.</exception>
    public static async Task<Stream> ConnectAsync(Stream stream, byte[] secret, CancellationToken cancellationToken)
    {
        if (!TlsEnabled)
        {
            await Authentication.ConnectAsync(stream, secret, [], cancellationToken).ConfigureAwait(false);
            return stream;
        }
        var tls = new SslStream(stream, leaveInnerStreamOpen: false);
        try
        {
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = "dataflow",
                EnabledSslProtocols = SslProtocols.Tls13,
                // Any certificate: the shared-secret proof over its hash is what authenticates the server.
                RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
                CipherSuitesPolicy = s_suites,
            };
            await HandshakeAsync(token => tls.AuthenticateAsClientAsync(options, token), cancellationToken).ConfigureAwait(false);
            var binding = SHA256.HashData(tls.RemoteCertificate!.GetRawCertData());
            await Authentication.ConnectAsync(tls, secret, binding, cancellationToken).ConfigureAwait(false);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task HandshakeAsync(Func<CancellationToken, Task> handshake, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Authentication.HandshakeTimeout);
        try
        {
            await handshake(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ProtocolException($"No TLS handshake within {Authentication.HandshakeTimeout.TotalSeconds:0} s.");
        }
        catch (AuthenticationException e)
        {
            throw new ProtocolException($"TLS handshake failed: {e.Message} (is DATAFLOW_TLS the same on both ends?)");
        }
    }
}
