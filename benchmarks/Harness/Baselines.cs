using System.Globalization;
using System.Runtime.InteropServices;

namespace Dataflow.Benchmarks.Harness;

/// <summary>
/// Hand-written single-threaded programs, the COST baselines (McSherry, Isard, Murray 2015): what a
/// competent programmer writes without a framework. Parsing is timed apart from the computation.
/// </summary>
internal static class Baselines
{
    /// <summary>Parses <c>src dst</c> lines (whitespace, <c>#</c> comments) into two arrays.</summary>
    public static (long[] Src, long[] Dst) ReadEdges(string path)
    {
        var src = new List<long>(1 << 20);
        var dst = new List<long>(1 << 20);
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, true, 1 << 20);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            var s = line.AsSpan().Trim();
            if (s.IsEmpty || s[0] == '#') continue;
            int sp = s.IndexOfAny(' ', '\t');
            src.Add(long.Parse(s[..sp], CultureInfo.InvariantCulture));
            dst.Add(long.Parse(s[sp..].Trim(), CultureInfo.InvariantCulture));
        }
        return (src.ToArray(), dst.ToArray());
    }

    /// <summary>A graph in compressed sparse row form over dense vertex indices.</summary>
    public sealed record Csr(long[] Ids, int[] Offsets, int[] Targets)
    {
        public int Vertices => Ids.Length;
    }

    /// <summary>Removes duplicate edges (and, for undirected use, self-loops), maps ids to 0..n-1, builds CSR.</summary>
    public static Csr BuildCsr(long[] src, long[] dst, bool undirected)
    {
        int m = src.Length;
        var pairs = new List<(long, long)>(undirected ? 2 * m : m);
        for (int i = 0; i < m; i++)
        {
            if (undirected)
            {
                if (src[i] == dst[i]) continue;
                pairs.Add((src[i], dst[i]));
                pairs.Add((dst[i], src[i]));
            }
            else
            {
                pairs.Add((src[i], dst[i]));
            }
        }
        var span = CollectionsMarshal.AsSpan(pairs);
        span.Sort();
        var ids = new List<long>();
        foreach (var (s, d) in span)
        {
            ids.Add(s);
            ids.Add(d);
        }
        var idSpan = CollectionsMarshal.AsSpan(ids);
        idSpan.Sort();
        int n = 0;
        for (int i = 0; i < idSpan.Length; i++)
        {
            if (i == 0 || idSpan[i] != idSpan[i - 1]) idSpan[n++] = idSpan[i];
        }
        var vertexIds = idSpan[..n].ToArray();
        var offsets = new int[n + 1];
        var targets = new List<int>(span.Length);
        int cur = 0;
        for (int i = 0; i < span.Length; i++)
        {
            if (i > 0 && span[i] == span[i - 1]) continue;
            int s = Array.BinarySearch(vertexIds, span[i].Item1);
            while (cur < s) offsets[++cur] = targets.Count;
            targets.Add(Array.BinarySearch(vertexIds, span[i].Item2));
        }
        while (cur < n) offsets[++cur] = targets.Count;
        return new Csr(vertexIds, offsets, targets.ToArray());
    }

    /// <summary>One PageRank superstep with networkx's dangling semantics; returns the new ranks in <paramref name="next"/>.</summary>
    public static void PageRankStep(Csr g, double[] rank, double[] next, double damping)
    {
        int n = g.Vertices;
        Array.Clear(next);
        double dangling = 0;
        var off = g.Offsets;
        var tgt = g.Targets;
        for (int u = 0; u < n; u++)
        {
            int deg = off[u + 1] - off[u];
            if (deg == 0)
            {
                dangling += rank[u];
                continue;
            }
            double share = rank[u] / deg;
            for (int e = off[u]; e < off[u + 1]; e++) next[tgt[e]] += share;
        }
        double teleport = (1 - damping) / n + damping * dangling / n;
        for (int v = 0; v < n; v++) next[v] = teleport + damping * next[v];
    }

    /// <summary>Min-label propagation with a work list; returns the number of rounds over the list.</summary>
    public static long[] LabelPropagation(Csr g)
    {
        int n = g.Vertices;
        var label = new int[n];
        for (int v = 0; v < n; v++) label[v] = v; // indices are sorted by id, so the min index is the min id
        var queue = new Queue<int>(Enumerable.Range(0, n));
        var queued = new bool[n];
        Array.Fill(queued, true);
        while (queue.Count > 0)
        {
            int v = queue.Dequeue();
            queued[v] = false;
            for (int e = g.Offsets[v]; e < g.Offsets[v + 1]; e++)
            {
                int w = g.Targets[e];
                if (label[v] < label[w])
                {
                    label[w] = label[v];
                    if (!queued[w])
                    {
                        queued[w] = true;
                        queue.Enqueue(w);
                    }
                }
            }
        }
        return label.Select(l => g.Ids[l]).ToArray();
    }

    /// <summary>Union-find with path halving and union by smaller root id.</summary>
    public static long[] UnionFind(Csr g)
    {
        int n = g.Vertices;
        var parent = new int[n];
        for (int i = 0; i < n; i++) parent[i] = i;
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }
        for (int u = 0; u < n; u++)
        {
            for (int e = g.Offsets[u]; e < g.Offsets[u + 1]; e++)
            {
                int a = Find(u), b = Find(g.Targets[e]);
                if (a < b) parent[b] = a;
                else if (b < a) parent[a] = b;
            }
        }
        var result = new long[n];
        for (int i = 0; i < n; i++) result[i] = g.Ids[Find(i)];
        return result;
    }

    /// <summary>Reads a CSV of doubles into one flat row-major array.</summary>
    public static (double[] Data, int Dims) ReadPoints(string path)
    {
        var data = new List<double>(1 << 20);
        int dims = 0;
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, true, 1 << 20);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0) continue;
            int d = 0;
            foreach (var r in line.AsSpan().Split(','))
            {
                data.Add(double.Parse(line.AsSpan()[r], NumberStyles.Float, CultureInfo.InvariantCulture));
                d++;
            }
            dims = d;
        }
        return (data.ToArray(), dims);
    }

    /// <summary>One Lloyd step: assign every point to its nearest centroid (ties to the lower id) and recompute the means.</summary>
    public static void LloydStep(double[] points, int dims, double[] centroids, int k, double[] sums, long[] counts)
    {
        Array.Clear(sums);
        Array.Clear(counts);
        int n = points.Length / dims;
        for (int p = 0; p < n; p++)
        {
            int best = 0;
            double bestD = double.PositiveInfinity;
            int po = p * dims;
            for (int c = 0; c < k; c++)
            {
                double d = 0;
                int co = c * dims;
                for (int j = 0; j < dims; j++)
                {
                    double diff = points[po + j] - centroids[co + j];
                    d += diff * diff;
                }
                if (d < bestD)
                {
                    bestD = d;
                    best = c;
                }
            }
            counts[best]++;
            int so = best * dims;
            for (int j = 0; j < dims; j++) sums[so + j] += points[po + j];
        }
        for (int c = 0; c < k; c++)
        {
            if (counts[c] == 0) continue;
            for (int j = 0; j < dims; j++) centroids[c * dims + j] = sums[c * dims + j] / counts[c];
        }
    }

    /// <summary>Counts space-separated words with a dictionary looked up by span (no string per known word).</summary>
    public static Dictionary<string, long> WordCount(string path)
    {
        var counts = new Dictionary<string, long>(1 << 16);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, true, 1 << 20);
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            foreach (var r in line.AsSpan().Split(' '))
            {
                var word = line.AsSpan()[r];
                if (word.IsEmpty) continue;
                ref long c = ref CollectionsMarshal.GetValueRefOrAddDefault(lookup, word, out _);
                c++;
            }
        }
        return counts;
    }
}
