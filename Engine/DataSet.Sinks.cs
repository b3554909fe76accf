using System.Collections.Concurrent;
using System.Globalization;
using Dataflow.Operators.Sinks;
using Dataflow.Plan;
using Dataflow.Runtime.Records;

namespace Dataflow;

public sealed partial class DataSet<T>
{
    private OperatorNode<T, T> Sink(string name, Func<Runtime.Records.Collector<T>, Operators.Core.OperatorInfo, Collector<T>> create) =>
        new(Node, name, Requirement<T>.Any, create, parallelism: Node.Parallelism) { IsResultSink = true };

    /// <summary>
    /// Runs the job and returns all records in subtask order: subtask 0's records first, each
    /// subtask's in the order it produced them. After <see cref="OrderBy{TKey}"/> that is the global
    /// order; otherwise the order is not specified.
    /// </summary>
    public async Task<List<T>> CollectAsync(CancellationToken cancellationToken = default)
    {
        var parts = new List<T>[Node.Parallelism];
        for (int i = 0; i < parts.Length; i++) parts[i] = new List<T>();
        await Environment.RunAsync([Sink("Collect", (_, info) => new CollectSink<T>(parts[info.Subtask]))], cancellationToken)
            .ConfigureAwait(false);
        var all = new List<T>(parts.Sum(p => p.Count));
        foreach (var p in parts) all.AddRange(p);
        return await Environment.ShareAsync(all).ConfigureAwait(false);
    }

    /// <summary>Runs the job and returns the number of records.</summary>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var counts = new long[Node.Parallelism];
        await Environment.RunAsync([Sink("Count", (_, info) => new CountSink<T>(counts, info.Subtask))], cancellationToken)
            .ConfigureAwait(false);
        return await Environment.ShareAsync(counts.Sum()).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the job and writes one line per record to <paramref name="path"/>, in the order of
    /// <see cref="CollectAsync"/> (the global order after <see cref="OrderBy{TKey}"/>). Subtasks write part
    /// files under temporary names; only a successful job renames the result into place, so a failed
    /// or cancelled job leaves no output file.
    /// </summary>
    /// <param name="path">The output file (replaced if it exists).</param>
    /// <param name="format">Formats a record (default: <c>ToString()</c> in the invariant culture).</param>
    /// <param name="cancellationToken">Stops the job.</param>
    public Task WriteTextAsync(string path, Func<T, string>? format = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        format ??= static x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "";
        return WriteFileAsync(path, "WriteText", () => (x, w) => w.Write(format(x)), cancellationToken);
    }

    /// <summary>Runs the job and writes one CSV row per record; <paramref name="write"/> writes the fields. Same commit rules as <see cref="WriteTextAsync"/>.</summary>
    /// <example><code>await centroids.WriteCsvAsync("c.csv", (c, row) => row.Field(c.X).Field(c.Y));</code></example>
    public Task WriteCsvAsync(string path, Action<T, CsvWriter> write, char separator = ',', CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        return WriteFileAsync(path, "WriteCsv", () =>
        {
            CsvWriter? csv = null;
            return (x, w) =>
            {
                csv ??= new CsvWriter(w, separator);
                write(x, csv);
                csv.EndRow();
            };
        }, cancellationToken);
    }

    private Task WriteFileAsync(string path, string name, Func<Action<T, TextWriter>> writerPerSubtask, CancellationToken cancellationToken) =>
        WritePartsAsync(path, $"{name}({Path.GetFileName(path)})",
            (part, info) => new TextFileSink<T>(part, writerPerSubtask(), info),
            sink => sink.Abandon(),
            async (parts, tmp) =>
            {
                await using var output = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                foreach (var part in parts)
                {
                    if (!File.Exists(part)) continue;
                    await using var input = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                    await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
                }
            },
            cancellationToken);

    /// <summary>
    /// Writes one output file through part files, one per subtask: the job's sinks write the parts, and
    /// only when the job succeeded does <paramref name="merge"/> combine them (in subtask order) into a
    /// temporary file that is renamed to <paramref name="path"/> — a failed or cancelled job leaves no
    /// output file, and an existing one as it was. A cluster worker's copy of the program runs the same
    /// plan without writing (the submitter writes).
    /// </summary>
    private async Task WritePartsAsync<TSink>(string path, string sinkName, Func<string, Operators.Core.OperatorInfo, TSink> createSink, Action<TSink> abandon,
        Func<string[], string, Task> merge, CancellationToken cancellationToken)
        where TSink : Collector<T>
    {
        if (Environment.IsWorkerCopy)
        {
            await Environment.RunAsync([Sink(sinkName, (_, _) => throw new InvalidOperationException("Result sinks run in the submitting process."))],
                cancellationToken).ConfigureAwait(false);
            return;
        }
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"Output directory not found: {dir}");
        string stem = $"{full}.{Guid.NewGuid():N}";
        var parts = Enumerable.Range(0, Node.Parallelism).Select(i => $"{stem}.part{i}").ToArray();
        var sinks = new ConcurrentBag<TSink>();
        string tmp = stem + ".tmp";
        try
        {
            await Environment.RunAsync([Sink(sinkName, (_, info) =>
            {
                var sink = createSink(parts[info.Subtask], info);
                sinks.Add(sink);
                return sink;
            })], cancellationToken).ConfigureAwait(false);
            await merge(parts, tmp).ConfigureAwait(false);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            foreach (var s in sinks) abandon(s);
            foreach (var part in parts) File.Delete(part);
            File.Delete(tmp);
        }
    }
}
