using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Dataflow.Cluster.Transport;
using Dataflow.Runtime.Hosting;

namespace Dataflow.Cluster;

/// <summary>
/// Files cached by the SHA-256 of their content: what a coordinator or worker already holds is never
/// shipped again. A file is written under a temporary name and appears only once its hash checks,
/// and it is checked again whenever it is used: a file changed or planted in the cache is removed
/// and fetched again, never run.
/// </summary>
public sealed class FileStore
{
    /// <summary>Size of the chunks files travel in.</summary>
    public const int ChunkBytes = 1 << 20;

    private readonly string _directory;
    private readonly object _lock = new();
    private readonly string _instance = $"{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Uses (and creates, private to this user) <paramref name="directory"/>.</summary>
    public FileStore(string directory)
    {
        _directory = PrivateDirectory.Create(directory);
    }

    /// <summary>Cached files found not to match their hash (and removed) so far.</summary>
    public int Tampered => _tampered;

    private int _tampered;

    /// <summary>The hex SHA-256 of a file.</summary>
    public static string HashOf(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }

    /// <summary>The manifest of every file under <paramref name="directory"/>, paths relative to it.</summary>
    public static FileEntry[] Manifest(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Select(f => new FileEntry(Path.GetRelativePath(directory, f).Replace('\\', '/'), HashOf(f), new FileInfo(f).Length))
            .OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();

    private static void CheckHash(string hash)
    {
        if (hash.Length != 64 || !hash.All(char.IsAsciiHexDigitLower)) throw new ProtocolException($"Invalid file hash '{hash}'.");
    }

    /// <summary>The cached copy of <paramref name="hash"/>.</summary>
    public string PathOf(string hash)
    {
        CheckHash(hash);
        return Path.Combine(_directory, hash);
    }

    /// <summary>True when the content is cached and still matches its hash (a file that does not is removed).</summary>
    public bool Has(string hash)
    {
        var path = PathOf(hash);
        if (!File.Exists(path)) return false;
        string actual;
        try
        {
            actual = HashOf(path);
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        if (actual == hash) return true;
        Interlocked.Increment(ref _tampered);
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Another process removed or replaced it meanwhile; it is checked again on use.
        }
        return false;
    }

    /// <summary>Adds a chunk; true when it completed the file (whose hash was checked).</summary>
    /// <exception cref="ProtocolException">The chunks do not add up to content with the announced hash.</exception>
    public bool Append(FileChunk chunk)
    {
        var final = PathOf(chunk.Hash);
        // Several processes on one host may share the cache (and receive the same file at once): each writes its own partial file.
        var partial = $"{final}.{_instance}.partial";
        lock (_lock)
        {
            if (File.Exists(final))
            {
                // Another process on this host completed the same file meanwhile.
                if (chunk.Last) File.Delete(partial);
                return chunk.Last;
            }
            using (var stream = new FileStream(partial, chunk.Offset == 0 ? FileMode.Create : FileMode.Open, FileAccess.Write))
            {
                if (stream.Length != chunk.Offset) throw new ProtocolException($"File {chunk.Hash}: chunk at {chunk.Offset}, expected {stream.Length}.");
                stream.Seek(chunk.Offset, SeekOrigin.Begin);
                stream.Write(chunk.Data);
            }
            if (!chunk.Last) return false;
            if (HashOf(partial) != chunk.Hash)
            {
                File.Delete(partial);
                throw new ProtocolException($"File {chunk.Hash}: content does not match its hash.");
            }
            File.Move(partial, final, overwrite: true);
            return true;
        }
    }

    /// <summary>The chunks of a cached file.</summary>
    public async IAsyncEnumerable<FileChunk> ReadAsync(string hash, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var c in ReadFileAsync(PathOf(hash), hash, cancellationToken).ConfigureAwait(false)) yield return c;
    }

    /// <summary>The chunks of any file, announced under <paramref name="hash"/>.</summary>
    public static async IAsyncEnumerable<FileChunk> ReadFileAsync(string path, string hash, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var stream = File.OpenRead(path);
        long offset = 0;
        var buffer = new byte[ChunkBytes];
        while (true)
        {
            int n = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            bool last = stream.Position == stream.Length;
            yield return new FileChunk(hash, offset, buffer.AsSpan(0, n).ToArray(), last);
            offset += n;
            if (last) yield break;
        }
    }

    /// <summary>Lays out a job's files under <paramref name="directory"/> from the cache.</summary>
    public void Materialize(IEnumerable<FileEntry> files, string directory)
    {
        var root = Path.GetFullPath(directory);
        foreach (var f in files)
        {
            var target = Path.GetFullPath(Path.Combine(root, f.Path));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) throw new ProtocolException($"File path '{f.Path}' leaves the job folder.");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(PathOf(f.Hash), target, overwrite: true);
            // The copy is what runs: checked after copying, so a cache file swapped after Has() is caught too.
            if (HashOf(target) != f.Hash)
            {
                File.Delete(target);
                Interlocked.Increment(ref _tampered);
                throw new ProtocolException($"The cached copy of {f.Path} does not match its hash {f.Hash} (changed in the cache); it was not used.");
            }
        }
    }
}
