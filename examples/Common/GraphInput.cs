namespace Dataflow.Examples;

/// <summary>Parsers for the graph examples' inputs: whitespace-separated non-negative int64 vertex ids, <c>#</c> comments.</summary>
internal static class GraphInput
{
    /// <summary>An edge row: exactly two vertex ids.</summary>
    /// <exception cref="FormatException">Not two fields, or a field that is not a non-negative integer.</exception>
    public static (long Src, long Dst) ParseEdge(CsvRow row)
    {
        row.ExpectFields(2);
        return (VertexId(row, 0), VertexId(row, 1));
    }

    /// <summary>A vertex row: exactly one vertex id.</summary>
    /// <exception cref="FormatException">Not one field, or not a non-negative integer.</exception>
    public static long ParseVertex(CsvRow row)
    {
        row.ExpectFields(1);
        return VertexId(row, 0);
    }

    private static long VertexId(CsvRow row, int index)
    {
        long id = row.GetInt64(index);
        // Negative ids parse, but no generator or reference graph has them: most likely a sign slipped in.
        if (id < 0) throw new FormatException($"field {index + 1}: expected a non-negative vertex id, found {InputFormatException.Quote(row[index])}");
        return id;
    }
}
