using System.Globalization;

namespace Dataflow.Examples;

/// <summary>
/// The rows of a delimited input file where a row that fails to parse either fails the job with
/// <c>path:line: reason</c> (the default) or, with <c>--skip-invalid</c>, is dropped and counted.
/// </summary>
internal sealed class CheckedRows<T>
{
    private readonly DataSet<(bool Valid, T Value)>? _checked;
    private readonly string _role;
    private readonly string _path;

    /// <summary>Reads <paramref name="path"/> (the <paramref name="role"/> file, for messages) with <paramref name="parse"/>.</summary>
    /// <param name="env">The environment.</param>
    /// <param name="path">The file.</param>
    /// <param name="role">What the file is, as messages name it: "points", "edges".</param>
    /// <param name="parse">Parses a row; a <see cref="FormatException"/> marks the row invalid.</param>
    /// <param name="format">How rows are split into fields.</param>
    /// <param name="skipInvalid">True to drop invalid rows instead of failing the job.</param>
    public CheckedRows(DataflowEnvironment env, string path, string role, CsvParser<T> parse, CsvFormat format, bool skipInvalid)
    {
        _path = path;
        _role = role;
        if (!skipInvalid)
        {
            // The parser's exception reaches the source, which fails the job with path:line.
            Valid = env.ReadCsv(path, parse, format);
            return;
        }
        _checked = env.ReadCsv(path, row =>
        {
            try
            {
                return (true, parse(row));
            }
            catch (FormatException)
            {
                return (false, default(T)!);
            }
        }, format);
        Valid = _checked.Where(r => r.Valid).Select(r => r.Value);
    }

    /// <summary>The rows that parsed.</summary>
    public DataSet<T> Valid { get; }

    /// <summary>
    /// With skipping, counts the valid and skipped rows in a job of its own (one more pass over the file), prints
    /// the number skipped, and fails when no valid row is left; without skipping, does nothing.
    /// </summary>
    /// <exception cref="InvalidDataException">Every row was invalid.</exception>
    public async Task ReportSkippedAsync(CancellationToken cancellationToken)
    {
        if (_checked is null) return;
        var counts = (await _checked.GroupBy(r => r.Valid).Count().CollectAsync(cancellationToken)).ToDictionary(c => c.Key, c => c.Count);
        long valid = counts.GetValueOrDefault(true), skipped = counts.GetValueOrDefault(false);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"skipped {skipped} invalid rows of {_role} file {_path}"));
        if (valid == 0) throw new InvalidDataException($"{_role} file {_path} has no valid rows ({skipped} skipped)");
    }
}
