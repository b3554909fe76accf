namespace Dataflow.Examples.WordCount;

/// <summary>Counts space-separated words.</summary>
public static class WordCountJob
{
    /// <summary>Word counts of the text file at <paramref name="path"/>.</summary>
    public static DataSet<(string Key, long Count)> Build(DataflowEnvironment env, string path) =>
        env.ReadTextLines(path)
            .FlatMap<string>((line, emit) =>
            {
                foreach (var range in line.AsSpan().Split(' '))
                {
                    if (range.End.Value > range.Start.Value) emit.Emit(line[range]);
                }
            })
            .GroupBy(word => word)
            .Count();
}
