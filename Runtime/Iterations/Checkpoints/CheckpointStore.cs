using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text.Json;

namespace Dataflow.Runtime.Iterations.Checkpoints;

/// <summary>One state file of a checkpoint: the pieces one subtask's part of one iteration state was written in.</summary>
/// <param name="State">The state's index among the iteration's own states (bulk: 0 the partial solution; delta: 0 the solution set, 1 the workset).</param>
/// <param name="Subtask">The subtask whose part it holds.</param>
/// <param name="Bytes">The file's length.</param>
/// <param name="Hash">XxHash64 of the whole file, hexadecimal.</param>
public sealed record CheckpointFile(int State, int Subtask, long Bytes, string Hash);

/// <summary>
/// What a complete checkpoint holds besides its state files (docs/design-checkpoints.md §2); written last, so a
/// checkpoint without one is never used.
/// </summary>
/// <param name="Superstep">The superstep after whose barrier it was taken.</param>
/// <param name="Parallelism">The iteration's parallelism then (one file per state and subtask).</param>
/// <param name="MaxParallelism">The number of key groups.</param>
/// <param name="States">The states' record types, in state order: a resumed program must have the same.</param>
/// <param name="Files">Every state file.</param>
/// <param name="Aggregators">The aggregator values after the barrier (the iteration's own encoding).</param>
public sealed record CheckpointManifest(int Superstep, int Parallelism, int MaxParallelism, IReadOnlyList<string> States, IReadOnlyList<CheckpointFile> Files,
    byte[] Aggregators)
{
    /// <summary>The format of the files and of this manifest.</summary>
    public int Format { get; init; } = CheckpointStore.Format;

    /// <summary>The iteration's name.</summary>
    public string Iteration { get; init; } = "";

    /// <summary>What the elasticity policy had seen, or null.</summary>
    public PolicyMemory? Policy { get; init; }
}

/// <summary>
/// The checkpoints of one iteration run in a folder: <c>ss-NNNNNN/</c> per checkpoint, state files
/// <c>st{state}-sub{subtask}.ckpt</c> of framed pieces (<c>[u32 length][u64 XxHash64][payload]</c>), and
/// <c>MANIFEST.json</c> written last (to a temporary name, flushed, renamed). The two newest complete
/// checkpoints are kept, so a damaged newest one leaves the one before it.
/// </summary>
public sealed class CheckpointStore
{
    /// <summary>The format version the store writes and reads.</summary>
    public const int Format = 1;

    private const string ManifestName = "MANIFEST.json";
    private const int FrameHeader = 12;
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>A store over <paramref name="folder"/> (created when missing).</summary>
    public CheckpointStore(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Folder = Directory.CreateDirectory(folder).FullName;
    }

    /// <summary>The iteration run's folder.</summary>
    public string Folder { get; }

    /// <summary>The folder of the checkpoint taken after <paramref name="superstep"/>.</summary>
    public string FolderOf(int superstep) => Path.Combine(Folder, string.Create(CultureInfo.InvariantCulture, $"ss-{superstep:D6}"));

    /// <summary>The path of one state file of the checkpoint after <paramref name="superstep"/>.</summary>
    public string PathOf(int superstep, int state, int subtask) =>
        Path.Combine(FolderOf(superstep), string.Create(CultureInfo.InvariantCulture, $"st{state}-sub{subtask:D4}.ckpt"));

    /// <summary>
    /// Writes one state file of the checkpoint after <paramref name="superstep"/>: each piece framed with its
    /// length and checksum. Returns its entry for the manifest.
    /// </summary>
    public CheckpointFile WriteFile(int superstep, int state, int subtask, IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        Directory.CreateDirectory(FolderOf(superstep));
        var path = PathOf(superstep, state, subtask);
        var whole = new XxHash64();
        Span<byte> header = stackalloc byte[FrameHeader];
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var piece in pieces)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)piece.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(header[4..], XxHash64.HashToUInt64(piece.Span));
                file.Write(header);
                file.Write(piece.Span);
                whole.Append(header);
                whole.Append(piece.Span);
            }
            file.Flush(flushToDisk: true);
        }
        return new CheckpointFile(state, subtask, new FileInfo(path).Length, Convert.ToHexStringLower(whole.GetCurrentHash()));
    }

    /// <summary>
    /// Makes the checkpoint after <paramref name="manifest"/>'s superstep complete (its manifest written last, atomically),
    /// then removes older checkpoints but the newest complete one before it, and partial ones older than it.
    /// </summary>
    /// <exception cref="InvalidDataException">A state file the manifest lists is missing or has another length.</exception>
    public void Commit(CheckpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var folder = FolderOf(manifest.Superstep);
        foreach (var f in manifest.Files)
        {
            var path = PathOf(manifest.Superstep, f.State, f.Subtask);
            if (!File.Exists(path) || new FileInfo(path).Length != f.Bytes)
            {
                throw new InvalidDataException($"Checkpoint after superstep {manifest.Superstep}: {path} is missing or not {f.Bytes} bytes long.");
            }
        }
        var temporary = Path.Combine(folder, ManifestName + ".tmp");
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, manifest, s_json);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path.Combine(folder, ManifestName), overwrite: true);
        Prune(manifest.Superstep);
    }

    /// <summary>The supersteps of the complete checkpoints, newest first.</summary>
    public IReadOnlyList<int> Complete() => Supersteps().Where(s => File.Exists(Path.Combine(FolderOf(s), ManifestName))).OrderDescending().ToList();

    /// <summary>The manifest of the checkpoint after <paramref name="superstep"/>.</summary>
    /// <exception cref="InvalidDataException">It is not complete, or not of this format.</exception>
    public CheckpointManifest Manifest(int superstep)
    {
        var path = Path.Combine(FolderOf(superstep), ManifestName);
        if (!File.Exists(path)) throw new InvalidDataException($"The checkpoint after superstep {superstep} in {Folder} is not complete (no {ManifestName}).");
        CheckpointManifest? manifest;
        try
        {
            using var file = File.OpenRead(path);
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(file, s_json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a checkpoint manifest ({e.Message}).", e);
        }
        if (manifest is null || manifest.Format != Format)
        {
            throw new InvalidDataException($"{path}: checkpoint format {manifest?.Format.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, this engine reads {Format}.");
        }
        return manifest;
    }

    /// <summary>
    /// The pieces of one state file, in the order they were written, each checked against its checksum
    /// (and the file against the manifest's length and hash once read to its end).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is damaged: names the file and the piece.</exception>
    public IEnumerable<byte[]> ReadPieces(CheckpointManifest manifest, int state, int subtask)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var entry = manifest.Files.SingleOrDefault(f => f.State == state && f.Subtask == subtask)
                    ?? throw new InvalidDataException($"The checkpoint after superstep {manifest.Superstep} has no file of state {state}, subtask {subtask}.");
        var path = PathOf(manifest.Superstep, state, subtask);
        return Read(path, entry);
    }

    private static IEnumerable<byte[]> Read(string path, CheckpointFile entry)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (file.Length != entry.Bytes) throw new InvalidDataException($"{path}: {file.Length} bytes, the manifest says {entry.Bytes}.");
        var whole = new XxHash64();
        var header = new byte[FrameHeader];
        for (int piece = 0; file.Position < file.Length; piece++)
        {
            ReadExactly(file, header, path, piece);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
            ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(4));
            if (length > file.Length - file.Position) throw new InvalidDataException($"{path}: piece {piece} claims {length} bytes, {file.Length - file.Position} remain.");
            var payload = new byte[length];
            ReadExactly(file, payload, path, piece);
            if (XxHash64.HashToUInt64(payload) != hash) throw new InvalidDataException($"{path}: piece {piece} does not match its checksum.");
            whole.Append(header);
            whole.Append(payload);
            yield return payload;
        }
        if (Convert.ToHexStringLower(whole.GetCurrentHash()) != entry.Hash) throw new InvalidDataException($"{path}: the file does not match the manifest's hash.");
    }

    private static void ReadExactly(FileStream file, byte[] buffer, string path, int piece)
    {
        try
        {
            file.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: piece {piece} is cut short.", e);
        }
    }

    private IEnumerable<int> Supersteps() =>
        Directory.EnumerateDirectories(Folder, "ss-*").Select(Path.GetFileName)
            .Select(n => int.TryParse(n.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1).Where(s => s >= 0);

    /// <summary>Keeps the newest complete checkpoint before <paramref name="committed"/>; removes everything else older than it.</summary>
    private void Prune(int committed)
    {
        var complete = Complete();
        int keep = complete.FirstOrDefault(s => s < committed, -1);
        foreach (var s in Supersteps().Where(s => s < committed && s != keep).ToList()) Directory.Delete(FolderOf(s), recursive: true);
    }
}
