using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dataflow.Cluster;
using Dataflow.Runtime.Execution;
using Dataflow.Runtime.Serialization;

namespace Dataflow.Benchmarks.Harness;

/// <summary>
/// Cluster-mode benchmarks (<c>Harness cluster</c>): the data plane's shuffle throughput against a raw
/// socket copy of the same bytes over loopback, and PageRank per superstep on 2 workers × 1 slot
/// (real processes under <c>dataflow run</c>) against the embedded engine at parallelism 2.
/// </summary>
internal static class ClusterBench
{
    private static readonly int BatchRecords = int.Parse(Environment.GetEnvironmentVariable("BATCH") ?? "1024", CultureInfo.InvariantCulture);

    public static int Run(Options o)
    {
        int reps = o.Reps;
        long megabytes = o.Megabytes;
        var sb = new StringBuilder();
        var shuffle = new List<double>();
        var raw = new List<double>();
        // Warm-up (not measured): both paths reach their optimized (tier-1) code first.
        Shuffle(Math.Min(megabytes, 512));
        RawSocket(Math.Min(megabytes, 512));
        for (int rep = 0; rep < reps; rep++)
        {
            // Alternate which goes first.
            if (rep % 2 == 0)
            {
                raw.Add(RawSocket(megabytes));
                shuffle.Add(Shuffle(megabytes));
            }
            else
            {
                shuffle.Add(Shuffle(megabytes));
                raw.Add(RawSocket(megabytes));
            }
            Console.Error.WriteLine($"rep {rep + 1}/{reps}: data plane {shuffle[^1]:F0} MB/s, raw socket {raw[^1]:F0} MB/s");
        }
        double s = Stats.Median(shuffle), r = Stats.Median(raw);
        sb.AppendLine(CultureInfo.InvariantCulture, $"| shuffle {megabytes} MB of (long, long) records, 1024 per batch | {s:F0} MB/s | raw socket {r:F0} MB/s | {s / r:F2} |");

        if (!o.PageRank) return 0;
        var edges = Data.Edges(o);
        int iterations = o.Iterations;
        var cluster = new List<double>();
        var embedded = new List<double>();
        for (int rep = 0; rep < reps; rep++)
        {
            embedded.Add(PageRank(edges, iterations, cluster: false));
            cluster.Add(PageRank(edges, iterations, cluster: true));
            Console.Error.WriteLine($"rep {rep + 1}/{reps}: PageRank per superstep embedded p=2 {embedded[^1]:F1} ms, 2 workers x 1 slot {cluster[^1]:F1} ms");
        }
        double c = Stats.Median(cluster), e = Stats.Median(embedded);
        sb.AppendLine(CultureInfo.InvariantCulture, $"| PageRank per superstep, {Path.GetFileName(edges)} | {c:F1} ms (2 workers × 1 slot) | embedded p=2 {e:F1} ms | {c / e:F2} |");
        var report = new
        {
            date = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}",
            shuffle_mb_per_s = shuffle, raw_socket_mb_per_s = raw, shuffle_ratio = s / r,
            pagerank_edges = edges, pagerank_cluster_superstep_ms = cluster, pagerank_embedded_superstep_ms = embedded, pagerank_ratio = c / e,
        };
        var outDir = o.Out ?? Path.Combine(Data.RepoRoot(), "benchmarks", "results");
        Directory.CreateDirectory(outDir);
        var file = Path.Combine(outDir, $"{DateTime.UtcNow:yyyy-MM-dd}-cluster.json");
        File.WriteAllText(file, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine("| benchmark | cluster | reference | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Console.Write(sb.ToString());
        Console.WriteLine($"results: {file}");
        return 0;
    }

    /// <summary>One producer thread sends batches through the data plane to a consumer thread in another data plane, over loopback TCP.</summary>
    private static double Shuffle(long megabytes)
    {
        var secret = Encoding.UTF8.GetBytes("benchmark-secret-0123456789");
        var sender = new DataPlane(new IPEndPoint(IPAddress.Loopback, 0), secret);
        var receiver = new DataPlane(new IPEndPoint(IPAddress.Loopback, 0), secret);
        sender.Start();
        receiver.Start();
        try
        {
            var graph = new JobGraph();
            var producer = graph.AddVertex("producer", 1, _ => throw new InvalidOperationException());
            var consumer = graph.AddVertex("consumer", 1, _ => throw new InvalidOperationException());
            var edge = graph.Connect(producer, consumer, ShipStrategy.Forward, "forward", _ => throw new InvalidOperationException(), BatchCodec.For<(long, long)>());
            var abort = new JobAbort();
            var queue = new InputQueue(64, abort);
            receiver.Register(1, 1, new Dictionary<JobVertex, InputQueue?[]> { [consumer] = [queue] });
            var channel = sender.Connect(new ChannelKey(1, 1, consumer.Id, 0, 0, 0), receiver.EndPoint, edge.Codec!, abort, credits: int.Parse(Environment.GetEnvironmentVariable("CREDITS") ?? "32", CultureInfo.InvariantCulture));
            long batches = megabytes * (1 << 20) / (BatchRecords * 16);
            long received = 0;
            var sw = Stopwatch.StartNew();
            var consumerThread = new Thread(() =>
            {
                long waited = 0;
                while (true)
                {
                    var e = queue.Take(ref waited);
                    if (e.IsEnd) break;
                    received += e.Count;
                    edge.Codec!.Return(e.Items!, e.Count);
                    e.Credit?.Return();
                }
            });
            consumerThread.Start();
            for (long b = 0; b < batches; b++)
            {
                var items = System.Buffers.ArrayPool<(long, long)>.Shared.Rent(BatchRecords);
                for (int i = 0; i < BatchRecords; i++) items[i] = (b, i);
                channel.Put(new Envelope(0, items, BatchRecords));
            }
            channel.Put(Envelope.End(0));
            consumerThread.Join();
            double seconds = sw.Elapsed.TotalSeconds;
            if (received != batches * BatchRecords) throw new InvalidOperationException($"received {received} of {batches * BatchRecords} records");
            return batches * BatchRecords * 16 / 1048576.0 / seconds;
        }
        finally
        {
            sender.DisposeAsync().AsTask().GetAwaiter().GetResult();
            receiver.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The same bytes copied through a plain loopback socket in 16 KiB writes (the ceiling).</summary>
    private static double RawSocket(long megabytes)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        long total = megabytes * (1 << 20);
        var accept = Task.Run(() =>
        {
            using var client = listener.AcceptTcpClient();
            var stream = client.GetStream();
            var buffer = new byte[64 << 10];
            long n = 0;
            int r;
            while ((r = stream.Read(buffer)) > 0) n += r;
            return n;
        });
        var sw = Stopwatch.StartNew();
        using (var client = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true })
        {
            client.Connect(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var stream = client.GetStream();
            var chunk = new byte[BatchRecords * 16];
            for (long sent = 0; sent < total; sent += chunk.Length) stream.Write(chunk);
        }
        long got = accept.GetAwaiter().GetResult();
        double seconds = sw.Elapsed.TotalSeconds;
        if (got != total) throw new InvalidOperationException($"raw copy received {got} of {total} bytes");
        return total / 1048576.0 / seconds;
    }

    /// <summary>Median superstep (after the first) of PageRank run as processes, from its <c>--stats</c> file.</summary>
    private static double PageRank(string edges, int iterations, bool cluster)
    {
        var root = Data.RepoRoot();
        var program = Path.Combine(root, "examples", "PageRank", "bin", "Release", "net10.0", "PageRank.dll");
        var launcher = Path.Combine(root, "Engine", "Launcher", "bin", "Release", "net10.0", "dataflow.dll");
        var stats = Path.Combine(Path.GetTempPath(), $"pagerank-stats-{Guid.NewGuid():N}.jsonl");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        var args = cluster
            ? new List<string> { launcher, "run", "--workers", "2", "--slots", "1", "--", program }
            : new List<string> { program, "--parallelism", "2" };
        args.AddRange(["--edges", edges, "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--stats", stats]);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"PageRank ({(cluster ? "cluster" : "embedded")}) failed: {stderr.Result}");
        var steps = File.ReadLines(stats).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "superstep")
            .Select(e => e.GetProperty("duration_ms").GetDouble()).ToList();
        File.Delete(stats);
        return Stats.Median(steps.Skip(1));
    }
}
