using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Dataflow.Cluster.Transport;

/// <summary>
/// Which build of the engine a process runs, exchanged in every handshake: processes of different
/// builds may disagree on the protocol, the serializers or the plan, so a peer of another build is
/// refused with a message naming both rather than failing later in a way nobody can read.
/// </summary>
public static class BuildIdentity
{
    /// <summary>The protocol's version: raised whenever messages or frames change incompatibly.</summary>
    public const int ProtocolVersion = 2;

    /// <summary>
    /// This process's build: the protocol version, the engine's version, and a hash of the module
    /// ids of the assemblies that define the wire formats (deterministic builds of the same source
    /// give the same ids).
    /// </summary>
    public static string Current { get; } = Compute();

    private static string Compute()
    {
        var version = typeof(BuildIdentity).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
        // The informational version may carry a long source-revision suffix; the module ids identify the build anyway.
        int plus = version.IndexOf('+', StringComparison.Ordinal);
        if (plus >= 0) version = version[..Math.Min(version.Length, plus + 8)];
        var modules = string.Join(",", new[] { typeof(BuildIdentity).Assembly, typeof(Dataflow.Runtime.Serialization.Serializers).Assembly }
            .Select(a => a.ManifestModule.ModuleVersionId.ToString("N")));
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(modules)))[..12].ToLowerInvariant();
        return $"protocol {ProtocolVersion}, engine {version}, build {hash}";
    }
}
