using System.Globalization;
using Dataflow.Operators.Sources;

namespace Dataflow.Benchmarks.Bottleneck;

/// <summary>A page of the Big Data Benchmark's <c>rankings</c> table.</summary>
public readonly record struct Ranking(string PageUrl, int PageRank, int AvgDuration);

/// <summary>A visit of the Big Data Benchmark's <c>uservisits</c> table.</summary>
public readonly record struct UserVisit(string SourceIp, string DestUrl, int VisitDay, double AdRevenue, int Duration);

/// <summary>
/// Queries in the style of the Big Data Benchmark (AMPLab): a scan with a filter, an aggregation,
/// and a join with an aggregation, over generated <c>rankings</c> and <c>uservisits</c> tables.
/// </summary>
public static class Queries
{
    public static DataSet<Ranking> Rankings(DataflowEnvironment env, string path) =>
        env.ReadCsv(path, row => new Ranking(row.GetString(0), row.GetInt32(1), row.GetInt32(2)));

    public static DataSet<UserVisit> UserVisits(DataflowEnvironment env, string path) =>
        env.ReadCsv(path, row => new UserVisit(row.GetString(0), row.GetString(1), row.GetInt32(2), row.GetDouble(3), row.GetInt32(4)));

    /// <summary>Query 1: <c>SELECT pageURL, pageRank FROM rankings WHERE pageRank &gt; X</c> (count of rows).</summary>
    public static Task<long> ScanAsync(DataflowEnvironment env, string rankings, int threshold) =>
        Rankings(env, rankings).Where(r => r.PageRank > threshold).Select(r => (r.PageUrl, r.PageRank)).CountAsync();

    /// <summary>Query 2: <c>SELECT SUBSTR(sourceIP, 1, 7), SUM(adRevenue) FROM uservisits GROUP BY 1</c> (number of groups and total).</summary>
    public static async Task<(long Groups, double Revenue)> AggregateAsync(DataflowEnvironment env, string uservisits)
    {
        var sums = await UserVisits(env, uservisits).GroupBy(v => v.SourceIp[..Math.Min(7, v.SourceIp.Length)]).Sum(v => v.AdRevenue).CollectAsync();
        return (sums.Count, sums.Sum(s => s.Sum));
    }

    /// <summary>
    /// Query 3: visits in a date range joined with rankings on the URL, revenue and average page rank per
    /// source IP, the top source.
    /// </summary>
    public static async Task<(string SourceIp, double Revenue)> JoinAsync(DataflowEnvironment env, string rankings, string uservisits, int fromDay, int toDay)
    {
        var joined = UserVisits(env, uservisits).Where(v => v.VisitDay >= fromDay && v.VisitDay < toDay)
            .Join(Rankings(env, rankings), v => v.DestUrl, r => r.PageUrl, (v, r) => (v.SourceIp, v.AdRevenue, r.PageRank));
        var perSource = await joined.GroupBy(x => x.SourceIp).Sum(x => x.AdRevenue).CollectAsync();
        var top = perSource.OrderByDescending(x => x.Sum).ThenBy(x => x.Key, StringComparer.Ordinal).First();
        return (top.Key, top.Sum);
    }

    /// <summary>An iterative job: page ranks smoothed towards their mean for a few supersteps (bulk iteration), then counted above the mean.</summary>
    public static async Task<long> IterateAsync(DataflowEnvironment env, string rankings, int supersteps)
    {
        var ranks = Rankings(env, rankings).Select(r => (r.PageUrl, Rank: (double)r.PageRank));
        var smoothed = ranks.IterateBulk(supersteps, xs => xs.Select(x => (x.PageUrl, Rank: 0.5 * x.Rank + 0.5 * Math.Sqrt(x.Rank * 100.0))));
        return await smoothed.Where(x => x.Rank > 100).CountAsync();
    }

    /// <summary>Writes the two tables (seeded): <paramref name="pages"/> rankings and <paramref name="visits"/> visits.</summary>
    public static void Generate(string directory, int pages, int visits, int seed)
    {
        Directory.CreateDirectory(directory);
        var rng = new Random(seed);
        Write(Path.Combine(directory, "rankings.csv"), w =>
        {
            for (int i = 0; i < pages; i++)
            {
                w.Write(Url(i));
                w.Write(',');
                w.Write(((int)Math.Min(10_000, 1 + rng.NextDouble() * rng.NextDouble() * 1000)).ToString(CultureInfo.InvariantCulture));
                w.Write(',');
                w.Write(rng.Next(1, 100).ToString(CultureInfo.InvariantCulture));
                w.Write('\n');
            }
        });
        Write(Path.Combine(directory, "uservisits.csv"), w =>
        {
            for (int i = 0; i < visits; i++)
            {
                w.Write(string.Create(CultureInfo.InvariantCulture, $"{rng.Next(1, 256)}.{rng.Next(256)}.{rng.Next(256)}.{rng.Next(256)}"));
                w.Write(',');
                w.Write(Url(rng.Next(pages)));
                w.Write(',');
                w.Write(rng.Next(0, 3650).ToString(CultureInfo.InvariantCulture));
                w.Write(',');
                w.Write((rng.NextDouble() * 10).ToString("F4", CultureInfo.InvariantCulture));
                w.Write(',');
                w.Write(rng.Next(1, 10).ToString(CultureInfo.InvariantCulture));
                w.Write('\n');
            }
        });
    }

    private static string Url(int i) => string.Create(CultureInfo.InvariantCulture, $"url{i:x8}.example.org/p");

    private static void Write(string path, Action<TextWriter> body)
    {
        var tmp = $"{path}.{Environment.ProcessId}.tmp";
        using (var w = new StreamWriter(tmp, false, new System.Text.UTF8Encoding(false), 1 << 16)) body(w);
        File.Move(tmp, path, overwrite: true);
    }
}
