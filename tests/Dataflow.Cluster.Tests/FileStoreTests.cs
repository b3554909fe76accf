using System.Security.Cryptography;
using Dataflow.Cluster;
using Dataflow.Cluster.Transport;

namespace Dataflow.Cluster.Tests;

/// <summary>The content-addressed file cache that ships job files.</summary>
public sealed class FileStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-filestore-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (string Hash, FileChunk[] Chunks) Chunks(byte[] content)
    {
        var hash = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        var chunks = new List<FileChunk>();
        for (int offset = 0; offset < content.Length; offset += FileStore.ChunkBytes)
        {
            int n = Math.Min(FileStore.ChunkBytes, content.Length - offset);
            chunks.Add(new FileChunk(hash, offset, content.AsSpan(offset, n).ToArray(), offset + n == content.Length));
        }
        return (hash, chunks.ToArray());
    }

    [Fact]
    public void Append_TwoStoresOnOneFolderInterleaved_BothCompleteWithTheSameContent()
    {
        // Two workers on one host share the cache folder and receive the same file at the same time.
        var content = new byte[3 * FileStore.ChunkBytes + 123];
        new Random(5).NextBytes(content);
        var (hash, chunks) = Chunks(content);
        var a = new FileStore(_dir);
        var b = new FileStore(_dir);
        bool doneA = false, doneB = false;
        foreach (var c in chunks)
        {
            doneA |= a.Append(c);
            doneB |= b.Append(c);
        }
        Assert.True(doneA && doneB);
        Assert.Equal(content, File.ReadAllBytes(a.PathOf(hash)));
        Assert.Empty(Directory.EnumerateFiles(_dir, "*.partial"));
    }

    [Fact]
    public void Append_ContentNotMatchingItsHash_ThrowsAndLeavesNothing()
    {
        var (hash, chunks) = Chunks([1, 2, 3]);
        var store = new FileStore(_dir);
        Assert.Throws<ProtocolException>(() => store.Append(chunks[0] with { Data = [9, 9, 9] }));
        Assert.False(store.Has(hash));
        Assert.Empty(Directory.EnumerateFiles(_dir));
    }

    [Fact]
    public void PathOf_NotAHash_IsProtocolError()
    {
        var store = new FileStore(_dir);
        Assert.Throws<ProtocolException>(() => store.PathOf("../../etc/passwd"));
    }
}
