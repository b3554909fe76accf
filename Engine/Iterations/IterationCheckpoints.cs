using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Dataflow.Runtime.Iterations;
using Dataflow.Runtime.Iterations.Checkpoints;

namespace Dataflow.Iterations;

/// <summary>
/// The checkpoints of one run of a program (docs/checkpoints.md): a job folder with <c>job.json</c> and one
/// folder per iteration run (<c>it{n}-{name}</c>, n counting the iteration runs of the program in order, the
/// same in every run of it), and the folder a resumed run reads from.
/// </summary>
internal sealed class CheckpointJob(DataflowOptions options)
{
    private const string JobFile = "job.json";
    private int _runs;
    private string? _folder;

    /// <summary>Supersteps between checkpoints (0: none are written).</summary>
    public int Interval => options.CheckpointInterval;

    /// <summary>The job folder a resumed run reads, or null.</summary>
    public string? ResumeFolder => options.ResumeFrom;

    /// <summary>The next iteration run's number (1-based).</summary>
    public int NextRun() => Interlocked.Increment(ref _runs);

    /// <summary>
    /// The job folder new checkpoints of <paramref name="program"/> go to: the resumed one (a run resumed again goes on from
    /// the newest), or a new one; made again when the end of an earlier iteration removed it.
    /// </summary>
    public string Folder(string program)
    {
        if (_folder is null || !File.Exists(Path.Combine(_folder, JobFile))) _folder = Create(_folder ?? options.ResumeFrom, program);
        return _folder;
    }

    /// <summary>The folder of iteration run <paramref name="run"/> under job folder <paramref name="job"/>.</summary>
    public static string IterationFolder(string job, int run, string name) =>
        Path.Combine(job, string.Create(CultureInfo.InvariantCulture, $"it{run}-{Sanitize(name)}"));

    /// <summary>Removes <paramref name="job"/> when no iteration's checkpoints are left in it.</summary>
    public static void RemoveIfEmpty(string job)
    {
        if (Directory.Exists(job) && !Directory.EnumerateDirectories(job).Any()) Directory.Delete(job, recursive: true);
    }

    private string Create(string? at, string program)
    {
        var root = options.CheckpointDirectory ?? Path.Combine(Directory.GetCurrentDirectory(), "checkpoints");
        var name = string.Create(CultureInfo.InvariantCulture, $"{Sanitize(program)}-{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Environment.ProcessId}");
        var folder = at ?? Path.GetFullPath(Path.Combine(root, name));
        if (File.Exists(Path.Combine(folder, JobFile))) return folder;
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, JobFile),
                JsonSerializer.Serialize(new JobDescription(CheckpointStore.Format, program, options.MaxParallelism, DateTime.UtcNow)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot write checkpoints to {folder}: {e.Message}", e);
        }
        return folder;
    }

    /// <summary>
    /// The job folder <paramref name="directory"/> names: itself when it holds <c>job.json</c>, otherwise the job
    /// folder under it with the newest complete checkpoint.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">It does not exist or holds no job's checkpoints.</exception>
    public static string FindJob(string directory)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"Cannot resume from {full}: no such folder.");
        if (File.Exists(Path.Combine(full, JobFile))) return full;
        var jobs = Directory.EnumerateDirectories(full).Where(d => File.Exists(Path.Combine(d, JobFile))).ToList();
        if (jobs.Count == 0)
        {
            throw new DirectoryNotFoundException($"Cannot resume from {full}: it holds no job's checkpoints ({JobFile} in it or in a folder under it).");
        }
        static DateTime Newest(string job) => Directory.EnumerateFiles(job, "MANIFEST.json", SearchOption.AllDirectories)
            .Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max();
        return jobs.OrderByDescending(Newest).ThenByDescending(d => d, StringComparer.Ordinal).First();
    }

    /// <summary>Checks that a resumed job folder is of <paramref name="program"/> and this key-group count.</summary>
    public void CheckResumable(string job, string program)
    {
        JobDescription? d;
        var path = Path.Combine(job, JobFile);
        try
        {
            d = JsonSerializer.Deserialize<JobDescription>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a checkpoint job description ({e.Message}).", e);
        }
        if (d is null || d.Format != CheckpointStore.Format)
        {
            throw new InvalidDataException($"{path}: checkpoint format {d?.Format.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, this engine reads {CheckpointStore.Format}.");
        }
        if (d.Program != program) throw new InvalidDataException($"Cannot resume from {job}: its checkpoints are of program '{d.Program}', this is '{program}'.");
        if (d.MaxParallelism != options.MaxParallelism)
        {
            throw new InvalidDataException($"Cannot resume from {job}: its checkpoints have {d.MaxParallelism} key groups (max parallelism), this run {options.MaxParallelism}.");
        }
    }

    /// <summary>A name made safe for a folder: letters, digits, '-', '_' and '.'; the rest become '_'.</summary>
    private static string Sanitize(string name)
    {
        var b = new StringBuilder(Math.Min(name.Length, 64));
        foreach (char c in name.AsSpan(0, Math.Min(name.Length, 64))) b.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        return b.Length == 0 ? "_" : b.ToString();
    }

    private sealed record JobDescription(int Format, string Program, int MaxParallelism, DateTime Created);
}

/// <summary>A checkpoint read back: where the iteration goes on.</summary>
internal sealed record Restored(CheckpointManifest Manifest, long Bytes, TimeSpan Elapsed, string Folder);

/// <summary>
/// Checkpoints of one iteration run: takes them at barriers (the state serialized in memory, in parallel over
/// subtasks, while the iteration waits; the files and manifest written in the background while it goes on)
/// and reads the newest complete one back when the run resumes.
/// </summary>
internal sealed class IterationCheckpoints
{
    private readonly string _name;
    private readonly int _run;
    private readonly int _interval;
    private readonly int _maxParallelism;
    private readonly ISuperstepHost _host;
    private readonly CheckpointStore? _write;
    private readonly string? _resume;
    private readonly bool _leader;
    private readonly bool _cluster;
    private Task _pending = Task.CompletedTask;
    private int _pendingSuperstep;
    // Written checkpoints not yet told (several when a write ended after the next checkpoint was taken); a recovery
    // voids the ones under way (their epoch is over).
    private readonly System.Collections.Concurrent.ConcurrentQueue<CheckpointEvent> _written = new();
    private int _epoch;

    private IterationCheckpoints(string name, int run, int interval, int maxParallelism, ISuperstepHost host, CheckpointStore? write, string? resume, bool leader, bool cluster)
    {
        _leader = leader;
        _cluster = cluster;
        _name = name;
        _run = run;
        _interval = interval;
        _maxParallelism = maxParallelism;
        _host = host;
        _write = write;
        _resume = resume;
    }

    /// <summary>
    /// The checkpoints of the next iteration run of <paramref name="env"/>, or null when it neither writes nor resumes any.
    /// In a cluster job the submitter's folders hold for every copy (a worker's working directory is its own): the
    /// folder must be one every worker sees.
    /// </summary>
    public static async Task<IterationCheckpoints?> OpenAsync(DataflowEnvironment env, string name, ISuperstepHost host)
    {
        var job = env.Checkpoints;
        if (job.Interval == 0 && job.ResumeFolder is null) return null;
        int run = job.NextRun();
        string write = "", resume = "";
        if (!env.IsWorkerCopy)
        {
            if (job.ResumeFolder is { } from)
            {
                job.CheckResumable(from, env.Host.Program);
                resume = CheckpointJob.IterationFolder(from, run, name);
            }
            if (job.Interval > 0) write = CheckpointJob.IterationFolder(job.Folder(env.Host.Program), run, name);
        }
        if (env.Mode != "embedded")
        {
            write = await env.ShareAsync(write).ConfigureAwait(false);
            resume = await env.ShareAsync(resume).ConfigureAwait(false);
        }
        // The coordinator hears that this run checkpoints (a loss before the first one fails saying so).
        if (write.Length > 0 && !env.IsWorkerCopy) await host.CommittedAsync(run, -1).ConfigureAwait(false);
        return new IterationCheckpoints(name, run, job.Interval, env.Options.MaxParallelism, host, write.Length > 0 ? new CheckpointStore(write) : null,
            resume.Length > 0 ? resume : null, leader: !env.IsWorkerCopy, cluster: env.Mode != "embedded");
    }

    /// <summary>The iteration run's number in the program (1-based).</summary>
    public int Run => _run;

    /// <summary>Whether a checkpoint is taken after <paramref name="superstep"/>'s barrier.</summary>
    public bool Due(int superstep) => _write is not null && superstep % _interval == 0;

    /// <summary>
    /// Takes the checkpoint after <paramref name="superstep"/>: waits for the previous one's write (failing when it
    /// failed), serializes this process's subtasks of <paramref name="own"/> at <paramref name="parallelism"/>, and starts
    /// writing them; the process that writes the manifest does so once every process has written its files.
    /// </summary>
    public async Task TakeAsync(int superstep, int parallelism, IReadOnlyList<MovableState> own, byte[] aggregators, PolicyMemory? policy)
    {
        long w0 = Stopwatch.GetTimestamp();
        await FenceAsync().ConfigureAwait(false);
        var wait = Stopwatch.GetElapsedTime(w0);
        long t0 = Stopwatch.GetTimestamp();
        var local = Enumerable.Range(0, parallelism).Where(s => _host.Holds(parallelism, s)).ToArray();
        var parts = new (int State, int Subtask, List<byte[]> Pieces)[own.Count * local.Length];
        Parallel.For(0, parts.Length, i =>
        {
            int state = i / local.Length, subtask = local[i % local.Length];
            parts[i] = (state, subtask, own[state].Snapshot(subtask, parallelism, _maxParallelism));
        });
        var snapshot = Stopwatch.GetElapsedTime(t0);
        var store = _write!;
        var states = Describe(own);
        var gather = _host.BeginCheckpoint(_run, superstep);
        int epoch = _epoch;
        _pendingSuperstep = superstep;
        _pending = Task.Run(async () =>
        {
            long t1 = Stopwatch.GetTimestamp();
            var files = new List<CheckpointFile>(parts.Length);
            for (int i = 0; i < parts.Length; i++)
            {
                files.Add(store.WriteFile(superstep, parts[i].State, parts[i].Subtask, parts[i].Pieces.Select(p => (ReadOnlyMemory<byte>)p)));
                parts[i].Pieces = null!; // written: its memory may go
            }
            if (await gather(files).ConfigureAwait(false) is not { } all) return; // another process writes the manifest
            store.Commit(new CheckpointManifest(superstep, parallelism, _maxParallelism, states, all, aggregators) { Iteration = _name, Policy = policy });
            await _host.CommittedAsync(_run, superstep).ConfigureAwait(false);
            var written = new CheckpointEvent(_name, superstep, parallelism, all.Sum(f => f.Bytes), snapshot, Stopwatch.GetElapsedTime(t1), store.FolderOf(superstep))
            {
                Wait = wait,
            };
            if (Volatile.Read(ref _epoch) == epoch) _written.Enqueue(written);
        });
    }

    /// <summary>The states' kinds and record types, as a manifest names them (a resumed program must hold the same).</summary>
    private static List<string> Describe(IReadOnlyList<MovableState> own) => own.Select(s => s.ToString() ?? "").ToList();

    /// <summary>Tells <paramref name="observers"/> of a checkpoint whose write has finished (called by the driver at barriers).</summary>
    public void Report(IReadOnlyList<IDataflowObserver> observers)
    {
        while (_written.TryDequeue(out var e))
        {
            foreach (var o in observers) o.OnCheckpoint(e);
        }
    }

    private async Task FenceAsync()
    {
        try
        {
            await _pending.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new IOException($"Iteration '{_name}': the checkpoint after superstep {_pendingSuperstep} could not be written to {_write!.Folder}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Restores the newest complete checkpoint of this iteration run in the resumed job folder into
    /// <paramref name="own"/>; null when there is none (the run starts from the beginning). A checkpoint whose
    /// files are damaged is passed over for the one before it.
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint is of other state (another program or version of it), or none there could be read.</exception>
    public Restored? Restore(IReadOnlyList<MovableState> own)
    {
        if (_resume is null || !Directory.Exists(_resume)) return null;
        long t0 = Stopwatch.GetTimestamp();
        var store = new CheckpointStore(_resume);
        var damaged = new List<string>();
        foreach (int c in store.Complete())
        {
            CheckpointManifest m;
            try
            {
                m = store.Manifest(c);
            }
            catch (InvalidDataException e)
            {
                damaged.Add(e.Message);
                continue;
            }
            var states = Describe(own);
            if (!m.States.SequenceEqual(states))
            {
                throw new InvalidDataException(
                    $"Cannot resume iteration '{_name}' from {store.FolderOf(c)}: it holds state [{string.Join(", ", m.States)}], this program's iteration has [{string.Join(", ", states)}].");
            }
            try
            {
                Import(store, m, own);
            }
            catch (InvalidDataException e) when (!_cluster)
            {
                // Embedded, the one before may do; the copies of a cluster program must agree on one, so there it fails.
                damaged.Add(e.Message);
                continue;
            }
            return new Restored(m, m.Files.Sum(f => f.Bytes), Stopwatch.GetElapsedTime(t0), store.FolderOf(c));
        }
        if (damaged.Count == 0) return null;
        throw new InvalidDataException($"Cannot resume iteration '{_name}' from {_resume}: no checkpoint there could be read ({string.Join("; ", damaged)}).");
    }

    /// <summary>Each process reads the subtasks it holds at the checkpoint's parallelism into <paramref name="own"/>; the others stay empty here.</summary>
    private void Import(CheckpointStore store, CheckpointManifest m, IReadOnlyList<MovableState> own)
    {
        _host.PlaceRestored(m.Parallelism);
        for (int st = 0; st < own.Count; st++)
        {
            own[st].BeginImport(m.Parallelism);
            for (int s = 0; s < m.Parallelism; s++)
            {
                if (!_host.Holds(m.Parallelism, s)) continue;
                foreach (var piece in store.ReadPieces(m, st, s)) own[st].ImportPiece(s, piece);
            }
        }
        foreach (var s in own) s.EndImport();
    }

    /// <summary>
    /// After a lost worker: reads the checkpoint after <paramref name="superstep"/> of this run back into <paramref name="own"/>
    /// (the one the coordinator knows complete).
    /// </summary>
    /// <exception cref="InvalidDataException">It cannot be read.</exception>
    public Restored RestoreAt(int superstep, IReadOnlyList<MovableState> own)
    {
        long t0 = Stopwatch.GetTimestamp();
        var store = _write ?? throw new InvalidOperationException("This iteration run writes no checkpoints.");
        var m = store.Manifest(superstep);
        Import(store, m, own);
        return new Restored(m, m.Files.Sum(f => f.Bytes), Stopwatch.GetElapsedTime(t0), store.FolderOf(superstep));
    }

    /// <summary>
    /// After a lost worker: the checkpoint being written belongs to supersteps that run again. Its write may finish (the
    /// next checkpoint waits for it), but neither its failure nor its event counts.
    /// </summary>
    public void Abandon()
    {
        _pending = _pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        Interlocked.Increment(ref _epoch);
        _written.Clear();
    }

    /// <summary>
    /// The iteration run ended: waits for the write under way. When it <paramref name="completed"/>, its
    /// checkpoints are no longer needed and are removed (with the job folder once it holds no others); when it
    /// failed or was cancelled, they stay for a resumed run.
    /// </summary>
    public async Task EndAsync(bool completed, IReadOnlyList<IDataflowObserver> observers)
    {
        try
        {
            await _pending.ConfigureAwait(false);
        }
        catch (Exception) when (!completed)
        {
            // The iteration's own failure is what the program hears; the newest complete checkpoint before this one stays.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // A completed run needs no checkpoint: a last one that could not be written is no failure.
        }
        if (_leader && _write is not null)
        {
            try
            {
                await _host.CommittedAsync(_run, 0).ConfigureAwait(false);
            }
            catch (Exception) when (!completed)
            {
                // The job failed already.
            }
        }
        if (!completed || _write is null) return;
        Report(observers);
        if (!_leader || !Directory.Exists(_write.Folder)) return; // the manifest's writer removes them (the submitter in a cluster)
        Directory.Delete(_write.Folder, recursive: true);
        CheckpointJob.RemoveIfEmpty(Path.GetDirectoryName(_write.Folder)!);
    }
}
