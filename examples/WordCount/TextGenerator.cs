namespace Dataflow.Examples.WordCount;

/// <summary>Generates text whose word frequencies follow a Zipf law, like natural language.</summary>
public static class TextGenerator
{
    public static void Write(string path, long bytes, int seed)
    {
        var rng = new Random(seed);
        const int vocabulary = 50_000;
        var words = new string[vocabulary];
        for (int i = 0; i < vocabulary; i++)
        {
            int len = 2 + rng.Next(9);
            words[i] = string.Create(len, rng, static (span, r) =>
            {
                for (int j = 0; j < span.Length; j++) span[j] = (char)('a' + r.Next(26));
            });
        }
        // Cumulative Zipf(1) weights for sampling by binary search.
        var cdf = new double[vocabulary];
        double sum = 0;
        for (int i = 0; i < vocabulary; i++) cdf[i] = sum += 1.0 / (i + 1);
        string tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"; // several processes (cluster copies of the program) may generate at once
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false), 1 << 16))
        {
            long written = 0;
            while (written < bytes)
            {
                int n = 5 + rng.Next(12);
                for (int j = 0; j < n; j++)
                {
                    int k = Array.BinarySearch(cdf, rng.NextDouble() * sum);
                    var word = words[k < 0 ? ~k : k];
                    if (j > 0) w.Write(' ');
                    w.Write(word);
                    written += word.Length + 1;
                }
                w.Write('\n');
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
