using System.Globalization;
using Dataflow;

// Counts the words of --input and writes, under --output, results whose line order matters: the
// ten most common words by OrderByDescending/ThenBy/Take and by Top, every count in word order,
// and outer joins of the counts with a short word list. The cluster tests run it embedded at
// several parallelisms and on worker processes and compare the files line by line.
string? input = null, output = null;
int? parallelism = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--input": input = args[i + 1]; break;
        case "--output": output = args[i + 1]; break;
        case "--parallelism": parallelism = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
if (input is null || output is null) throw new ArgumentException("--input and --output are required");
var env = DataflowEnvironment.Create(parallelism);
Directory.CreateDirectory(output);

var counts = env.ReadTextLines(input)
    .FlatMap<string>((line, emit) =>
    {
        foreach (var range in line.AsSpan().Split(' '))
        {
            if (range.End.Value > range.Start.Value) emit.Emit(line[range]);
        }
    })
    .GroupBy(w => w)
    .Count();

await counts.OrderByDescending(c => c.Count).ThenBy(c => c.Key).Take(10)
    .WriteTextAsync(Out("top-orderby"), c => $"{c.Key}\t{c.Count}");
var byCountThenWord = Comparer<(string Key, long Count)>.Create((a, b) =>
    a.Count != b.Count ? a.Count.CompareTo(b.Count) : string.CompareOrdinal(b.Key, a.Key));
await counts.Top(10, c => c, byCountThenWord).WriteTextAsync(Out("top-top"), c => $"{c.Key}\t{c.Count}");
await counts.OrderBy(c => c.Key).WriteTextAsync(Out("sorted-by-word"), c => $"{c.Key}\t{c.Count}");
var listed = env.FromCollection(new[] { "the", "data", "flow", "not-in-the-text", "zzz" });
await counts.RightOuterJoin(listed, c => c.Key, w => w, (c, w) => $"{w}\t{c.Count}")
    .OrderBy(l => l).WriteTextAsync(Out("right-join"));
await counts.FullOuterJoin(listed, c => c.Key, w => w, (c, w) => $"{c.Key ?? "-"}\t{w ?? "-"}\t{c.Count}")
    .OrderBy(l => l).WriteTextAsync(Out("full-join"));
return 0;

string Out(string name) => Path.Combine(output, name + ".txt");
