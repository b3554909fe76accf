using Dataflow.Runtime.Serialization;

namespace Dataflow.Runtime.Hosting;

/// <summary>A typed value that the submitter decides and every copy of a cluster program uses (a collected result, a policy's decision, a placement).</summary>
public static class SharedValue
{
    /// <summary>
    /// In the submitter, sends <paramref name="value"/> through <paramref name="share"/> and returns it; in a
    /// worker's copy, returns the submitter's value (what <paramref name="share"/> with null receives).
    /// </summary>
    /// <param name="isSubmitter">Whether this copy decides.</param>
    /// <param name="share">The job's share round trip: bytes out from the submitter, the submitter's bytes back everywhere.</param>
    /// <param name="value">This copy's value (only the submitter's counts).</param>
    public static async Task<T> ShareAsync<T>(bool isSubmitter, Func<byte[]?, Task<byte[]>> share, T value)
    {
        ArgumentNullException.ThrowIfNull(share);
        var serializer = Serializers.Get<T>();
        if (isSubmitter)
        {
            var w = new ByteWriter(64);
            serializer.Write(w, value);
            await share(w.WrittenSpan.ToArray()).ConfigureAwait(false);
            return value;
        }
        return serializer.Read(new ByteReader(await share(null).ConfigureAwait(false)));
    }
}
