using System.Security.Cryptography;
using System.Text;
using Dataflow.Runtime.Execution;

namespace Dataflow.Cluster;

/// <summary>Tells whether every copy of a program built the same plan (checked when a step starts).</summary>
public static class PlanFingerprint
{
    /// <summary>The plan fingerprint: vertices, parallelism, edges, strategies and record types, hashed.</summary>
    public static string Of(JobGraph graph)
    {
        var sb = new StringBuilder();
        foreach (var v in graph.Vertices)
        {
            sb.Append(v.Id).Append('|').Append(v.Name).Append('|').Append(v.Parallelism).Append('|').Append(v.IsResultSink).Append('\n');
            foreach (var e in v.Inputs)
            {
                sb.Append("  <").Append(e.Source.Id).Append('|').Append(e.TargetInput).Append('|').Append(e.Strategy)
                  .Append('|').Append(e.Description).Append('|').Append(e.Codec?.RecordType.FullName).Append('\n');
            }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16].ToLowerInvariant();
    }
}
