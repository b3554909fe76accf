namespace Dataflow.Examples;

/// <summary>Seeded R-MAT graph generator (Graph500 parameters a=0.57, b=0.19, c=0.19).</summary>
internal static class RmatGenerator
{
    /// <summary>Writes <c>edgeFactor · 2^scale</c> generated edges as <c>src dst</c> lines.</summary>
    public static void WriteEdges(string path, int scale, int edgeFactor, int seed)
    {
        var rng = new Random(seed);
        long edges = (long)edgeFactor << scale;
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"; // several processes (cluster copies of the program) may generate at once
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false), 1 << 16))
        {
            w.WriteLine($"# R-MAT scale {scale}, edge factor {edgeFactor}, seed {seed}");
            for (long e = 0; e < edges; e++)
            {
                var (s, d) = Edge(rng, scale);
                w.Write(s);
                w.Write(' ');
                w.Write(d);
                w.Write('\n');
            }
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>One R-MAT edge: descend the adjacency matrix quadrant by quadrant.</summary>
    public static (long Src, long Dst) Edge(Random rng, int scale)
    {
        const double a = 0.57, b = 0.19, c = 0.19;
        long s = 0, d = 0;
        for (int bit = 0; bit < scale; bit++)
        {
            double r = rng.NextDouble();
            s <<= 1;
            d <<= 1;
            if (r < a) { }
            else if (r < a + b) d |= 1;
            else if (r < a + b + c) s |= 1;
            else { s |= 1; d |= 1; }
        }
        return (s, d);
    }
}
