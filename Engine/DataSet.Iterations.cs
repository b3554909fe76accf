using Dataflow.Iterations;

namespace Dataflow;

public sealed partial class DataSet<T>
{
    /// <summary>
    /// A bulk iteration: runs <paramref name="step"/> on the partial solution (starting with this data
    /// set) up to <paramref name="maxIterations"/> times, each run a superstep. The step may end the
    /// iteration early through <see cref="IterationContext.TerminateWhenEmpty{T}"/> or
    /// <see cref="IterationContext.ConvergeWhen"/>. Data sets the step uses that do not depend on the
    /// partial solution are loop-invariant: computed once, and kept (a join's build side as its hash
    /// table) for all supersteps.
    /// </summary>
    /// <example>
    /// <code>
    /// var result = env.FromCollection(new[] { 1.0 }).IterateBulk(10, (x, ctx) => x.Select(v => v / 2));
    /// </code>
    /// </example>
    public DataSet<T> IterateBulk(int maxIterations, Func<DataSet<T>, IterationContext, DataSet<T>> step, string name = "bulk")
    {
        ArgumentNullException.ThrowIfNull(step);
        var iteration = new BulkIterationNode<T>(Node, maxIterations, step, name);
        return new((Plan.Node<T>)iteration.Output);
    }

    /// <summary>A bulk iteration whose step needs no context (see the other overload).</summary>
    public DataSet<T> IterateBulk(int maxIterations, Func<DataSet<T>, DataSet<T>> step, string name = "bulk")
    {
        ArgumentNullException.ThrowIfNull(step);
        return IterateBulk(maxIterations, (x, _) => step(x), name);
    }

    /// <summary>
    /// A delta iteration with this data set as the initial solution set, keyed by <paramref name="key"/>
    /// (one record per key), and <paramref name="initialWorkset"/> as the initial workset. Each
    /// superstep the step reads the solution set (join it on its key) and the workset, and returns
    /// the delta — records that replace the solution set's records with the same key — and the next
    /// workset. Stops when the workset is empty, at <paramref name="maxIterations"/>, or when the
    /// convergence criterion holds. The result is the final solution set.
    /// </summary>
    public DataSet<T> IterateDelta<TWork, TKey>(DataSet<TWork> initialWorkset, Func<T, TKey> key, int maxIterations,
        Func<SolutionSet<T, TKey>, DataSet<TWork>, IterationContext, (DataSet<T> Delta, DataSet<TWork> NextWorkset)> step,
        string name = "delta")
    {
        ArgumentNullException.ThrowIfNull(initialWorkset);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(step);
        var iteration = new DeltaIterationNode<T, TWork, TKey>(Node, initialWorkset.Node, key, maxIterations, step, name);
        return new((Plan.Node<T>)iteration.Output);
    }
}
