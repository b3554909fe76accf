using System.Runtime.CompilerServices;
using Dataflow.Operators.Sorting;
using Dataflow.Plan;

namespace Dataflow;

public sealed partial class DataSet<T>
{
    /// <summary>Records each subtask samples for the range boundaries of a global sort.</summary>
    private const int SamplePerSubtask = 128;

    /// <summary>Set on the result of OrderBy/ThenBy: the unsorted input and the comparer, for a ThenBy that follows.</summary>
    private (Node<T> Input, IComparer<T> Comparer)? _ordering;

    /// <summary>True for the direct result of <see cref="OrderBy{TKey}"/>, <see cref="ThenBy{TKey}"/> and their descending variants.</summary>
    public bool IsOrdered => _ordering is not null;

    /// <summary>
    /// Sorts the whole data set by <paramref name="key"/>, ascending. The result is range partitioned:
    /// subtask 0 holds the smallest keys, each subtask's records are sorted, so reading the subtasks
    /// in order (<see cref="CollectAsync"/>, <see cref="WriteTextAsync"/>) gives the global order.
    /// </summary>
    /// <remarks>
    /// Each input subtask samples its records; the sample is broadcast, and every subtask derives the
    /// same range boundaries from it, so records with equal keys always land in one range. The
    /// sequence of keys is the same at any parallelism and on any number of workers; the order of
    /// records with equal keys is not specified (add <see cref="ThenBy{TKey}"/> to fix it). Strings
    /// are compared ordinally unless <paramref name="comparer"/> says otherwise. Every record is
    /// held in memory twice (until its range is known, and for the sort).
    /// </remarks>
    /// <example><code>var byAge = people.OrderBy(p => p.Age).ThenBy(p => p.Name);</code></example>
    public DataSet<T> OrderBy<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer = null,
        [CallerArgumentExpression(nameof(key))] string? name = null) =>
        GlobalSort(Node, KeyComparer.Create(key, comparer, descending: false, null), Label("OrderBy", name));

    /// <summary>Like <see cref="OrderBy{TKey}"/>, greatest key first.</summary>
    public DataSet<T> OrderByDescending<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer = null,
        [CallerArgumentExpression(nameof(key))] string? name = null) =>
        GlobalSort(Node, KeyComparer.Create(key, comparer, descending: true, null), Label("OrderByDescending", name));

    /// <summary>Orders records with equal keys of the preceding <see cref="OrderBy{TKey}"/> (or ThenBy) by a further key, ascending.</summary>
    /// <exception cref="InvalidOperationException">This data set is not the direct result of an OrderBy or ThenBy.</exception>
    public DataSet<T> ThenBy<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer = null,
        [CallerArgumentExpression(nameof(key))] string? name = null) => Then(key, comparer, false, Label("ThenBy", name));

    /// <summary>Like <see cref="ThenBy{TKey}"/>, greatest key first.</summary>
    /// <exception cref="InvalidOperationException">This data set is not the direct result of an OrderBy or ThenBy.</exception>
    public DataSet<T> ThenByDescending<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer = null,
        [CallerArgumentExpression(nameof(key))] string? name = null) => Then(key, comparer, true, Label("ThenByDescending", name));

    private DataSet<T> Then<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer, bool descending, string label)
    {
        if (_ordering is not { } o) throw new InvalidOperationException($"{label} must directly follow OrderBy, OrderByDescending or another ThenBy.");
        // Sort once by the combined comparer; the plan of the previous sort is simply never run.
        return GlobalSort(o.Input, KeyComparer.Create(key, comparer, descending, o.Comparer), $"{Node.Name}.{label}");
    }

    private static DataSet<T> GlobalSort(Node<T> input, IComparer<T> comparer, string label)
    {
        var env = input.Env;
        int ranges = env.Parallelism;
        var sample = new OperatorNode<T, T>(input, $"Sample({label})", Requirement<T>.Any,
            (down, info) => new SampleOperator<T>(SamplePerSubtask, down, info), parallelism: input.Parallelism);
        var tagged = new BinaryOperatorNode<T, T, (int Range, T Item)>(input, sample, $"RangePartition({label})",
            Requirement<T>.Any, Requirement<T>.Broadcast,
            (down, info) =>
            {
                var op = new RangePartitionOperator<T>(comparer, ranges, down, info);
                return (op.Probe, op.Build);
            });
        var sorted = new OperatorNode<(int Range, T Item), T>(tagged, label, new RangeRequirement<T>(ranges, label),
            (down, info) => new RangeSortOperator<T>(comparer, down, info));
        return new(sorted) { _ordering = (input, comparer) };
    }

    /// <summary>
    /// Sorts the records within each subtask by <paramref name="key"/> (no exchange; keeps the
    /// partitioning). Useful before a per-partition step that wants sorted input; for a global
    /// order use <see cref="OrderBy{TKey}"/>.
    /// </summary>
    public DataSet<T> SortPartition<TKey>(Func<T, TKey> key, IComparer<TKey>? comparer = null, bool descending = false,
        [CallerArgumentExpression(nameof(key))] string? name = null)
    {
        var cmp = KeyComparer.Create(key, comparer, descending, null);
        return new(new OperatorNode<T, T>(Node, Label("SortPartition", name), Requirement<T>.Any,
            (down, info) => new SortPartitionOperator<T>(cmp, down, info), Node.PartitionedBy, Node.Parallelism));
    }

    /// <summary>
    /// The <paramref name="n"/> records with the greatest keys, greatest first, in one partition.
    /// Each subtask keeps its own top <paramref name="n"/> (a combiner) and one subtask merges them:
    /// no full sort. Among records with equal keys at the cut, which are kept is not specified; make
    /// the key (or <paramref name="comparer"/>) total to fix it. For the smallest keys pass a reversed comparer.
    /// </summary>
    /// <example><code>var top10 = counts.Top(10, c => c.Count);</code></example>
    public DataSet<T> Top<TKey>(int n, Func<T, TKey> key, IComparer<TKey>? comparer = null,
        [CallerArgumentExpression(nameof(key))] string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(key);
        var cmp = comparer ?? KeyComparer.DefaultOf<TKey>();
        var label = Label("Top", name);
        var combine = new OperatorNode<T, T>(Node, $"Combine({label})", Requirement<T>.Any,
            (down, info) => new TopOperator<T, TKey>(n, key, cmp, emitSorted: false, down, info), parallelism: Node.Parallelism);
        return new(new OperatorNode<T, T>(combine, label, Requirement<T>.Any,
            (down, info) => new TopOperator<T, TKey>(n, key, cmp, emitSorted: true, down, info), parallelism: 1));
    }

    /// <summary>
    /// The first <paramref name="n"/> records, in one partition. For a sorted data set
    /// (<see cref="OrderBy{TKey}"/>) these are the first <paramref name="n"/> in the global order;
    /// otherwise the first ones of subtask 0, then of subtask 1, and so on, which is some
    /// <paramref name="n"/> records but not a reproducible choice.
    /// </summary>
    public DataSet<T> Take(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var label = $"Take({n})";
        var first = new OperatorNode<T, (int Partition, T Item)>(Node, $"Combine({label})", Requirement<T>.Any,
            (down, info) => new TakeOperator<T>(n, down, info), parallelism: Node.Parallelism);
        // Parallelism 1: every partition's records reach the one subtask over their own channel, in order.
        return new(new OperatorNode<(int Partition, T Item), T>(first, label, Requirement<(int Partition, T Item)>.Any,
            (down, info) => new TakeMergeOperator<T>(n, down, info), parallelism: 1));
    }
}

/// <summary>Builds the record comparers of the ordering operators.</summary>
internal static class KeyComparer
{
    /// <summary>The engine's default order of a key type: ordinal for strings (culture must not change results), else <see cref="Comparer{T}.Default"/>.</summary>
    public static IComparer<TKey> DefaultOf<TKey>() =>
        typeof(TKey) == typeof(string) ? (IComparer<TKey>)StringComparer.Ordinal : Comparer<TKey>.Default;

    public static IComparer<T> Create<T, TKey>(Func<T, TKey> key, IComparer<TKey>? comparer, bool descending, IComparer<T>? first)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new ByKey<T, TKey>(key, comparer ?? DefaultOf<TKey>(), descending, first);
    }

    private sealed class ByKey<T, TKey>(Func<T, TKey> key, IComparer<TKey> comparer, bool descending, IComparer<T>? first) : IComparer<T>
    {
        public int Compare(T? x, T? y)
        {
            if (first is not null)
            {
                int c = first.Compare(x, y);
                if (c != 0) return c;
            }
            var kx = key(x!);
            var ky = key(y!);
            return descending ? comparer.Compare(ky, kx) : comparer.Compare(kx, ky);
        }
    }
}
