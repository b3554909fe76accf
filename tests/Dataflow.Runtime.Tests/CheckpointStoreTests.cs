using Dataflow.Runtime.Iterations.Checkpoints;

namespace Dataflow.Runtime.Tests;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<ReadOnlyMemory<byte>> Pieces(int seed, int count) =>
        Enumerable.Range(0, count).Select(i => (ReadOnlyMemory<byte>)Enumerable.Range(0, 100 + i * 37).Select(b => (byte)(b * seed + i)).ToArray()).ToList();

    /// <summary>Writes a checkpoint of two states over <paramref name="parallelism"/> subtasks and commits it.</summary>
    private static CheckpointManifest Take(CheckpointStore store, int superstep, int parallelism = 2)
    {
        var files = new List<CheckpointFile>();
        for (int state = 0; state < 2; state++)
        {
            for (int s = 0; s < parallelism; s++) files.Add(store.WriteFile(superstep, state, s, Pieces(superstep + state * 10 + s, 3)));
        }
        var manifest = new CheckpointManifest(superstep, parallelism, 128, ["System.Double", "System.Int64"], files, [1, 2, 3]);
        store.Commit(manifest);
        return manifest;
    }

    [Fact]
    public void Commit_ThenManifestAndReadPieces_RoundTripsEveryPieceInOrder()
    {
        var store = new CheckpointStore(_dir);
        Take(store, 4);
        var manifest = store.Manifest(4);
        Assert.Equal((4, 2, 128), (manifest.Superstep, manifest.Parallelism, manifest.MaxParallelism));
        Assert.Equal(["System.Double", "System.Int64"], manifest.States);
        Assert.Equal([1, 2, 3], manifest.Aggregators);
        for (int state = 0; state < 2; state++)
        {
            for (int s = 0; s < 2; s++)
            {
                var expected = Pieces(4 + state * 10 + s, 3).Select(p => p.ToArray()).ToList();
                Assert.Equal(expected, store.ReadPieces(manifest, state, s).ToList());
            }
        }
    }

    [Fact]
    public void Complete_CheckpointWithoutManifest_IsNeverListed()
    {
        var store = new CheckpointStore(_dir);
        Take(store, 2);
        store.WriteFile(4, 0, 0, Pieces(1, 2)); // a checkpoint cut off before its manifest
        Assert.Equal([2], store.Complete());
        var e = Assert.Throws<InvalidDataException>(() => store.Manifest(4));
        Assert.Contains("not complete", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Commit_FourCheckpoints_KeepsTheNewestTwo()
    {
        var store = new CheckpointStore(_dir);
        foreach (var superstep in new[] { 2, 4, 6, 8 }) Take(store, superstep);
        Assert.Equal([8, 6], store.Complete());
        Assert.False(Directory.Exists(store.FolderOf(2)));
        Assert.False(Directory.Exists(store.FolderOf(4)));
    }

    [Fact]
    public void Commit_PartialOlderCheckpoint_IsRemoved()
    {
        var store = new CheckpointStore(_dir);
        Take(store, 2);
        store.WriteFile(4, 0, 0, Pieces(1, 2)); // never committed (the process writing it was lost)
        Take(store, 6);
        Assert.Equal([6, 2], store.Complete());
        Assert.False(Directory.Exists(store.FolderOf(4)));
    }

    [Fact]
    public void Commit_FileMissing_RefusedNamingIt()
    {
        var store = new CheckpointStore(_dir);
        var file = store.WriteFile(2, 0, 0, Pieces(1, 2));
        var manifest = new CheckpointManifest(2, 2, 128, ["System.Double"], [file, file with { Subtask = 1 }], []);
        var e = Assert.Throws<InvalidDataException>(() => store.Commit(manifest));
        Assert.Contains(store.PathOf(2, 0, 1), e.Message, StringComparison.Ordinal);
        Assert.Empty(store.Complete());
    }

    [Fact]
    public void ReadPieces_FlippedByte_FailsNamingTheFileAndPiece()
    {
        var store = new CheckpointStore(_dir);
        var manifest = Take(store, 2);
        var path = store.PathOf(2, 1, 0);
        var bytes = File.ReadAllBytes(path);
        bytes[12 + 100 + 12 + 5] ^= 0x40; // inside the second piece's payload
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => store.ReadPieces(manifest, 1, 0).ToList());
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("piece 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadPieces_TruncatedFile_FailsNamingTheFile()
    {
        var store = new CheckpointStore(_dir);
        var manifest = Take(store, 2);
        var path = store.PathOf(2, 0, 1);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(f.Length - 3);
        var e = Assert.Throws<InvalidDataException>(() => store.ReadPieces(manifest, 0, 1).ToList());
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_OtherFormat_RefusedWithBothVersions()
    {
        var store = new CheckpointStore(_dir);
        Take(store, 2);
        var path = Path.Combine(store.FolderOf(2), "MANIFEST.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Format\": 1", "\"Format\": 7", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => store.Manifest(2));
        Assert.Contains("format 7, this engine reads 1", e.Message, StringComparison.Ordinal);
    }
}
