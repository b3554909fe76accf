using Dataflow.Runtime.Exchange;
using Dataflow.Runtime.Execution;

namespace Dataflow.Plan;

/// <summary>How a node needs one of its inputs distributed.</summary>
internal enum RequirementKind
{
    /// <summary>Any distribution; forward (chainable) when parallelism matches, else rebalance.</summary>
    Any,

    /// <summary>Round-robin regardless of the input's distribution.</summary>
    Rebalance,

    /// <summary>Hash partitioned on a key.</summary>
    Hash,

    /// <summary>Every subtask sees every record.</summary>
    Broadcast,
}

/// <summary>A node's requirement on one input, able to create the matching exchange output for records of type <typeparamref name="T"/>.</summary>
internal class Requirement<T>
{
    public static readonly Requirement<T> Any = new(RequirementKind.Any);
    public static readonly Requirement<T> Rebalance = new(RequirementKind.Rebalance);
    public static readonly Requirement<T> Broadcast = new(RequirementKind.Broadcast);

    protected Requirement(RequirementKind kind) => Kind = kind;

    public RequirementKind Kind { get; }

    /// <summary>The key selector (compared by <see cref="KeySelectors.Same"/>) for hash requirements.</summary>
    public virtual Delegate? Key => null;

    public virtual string Describe(ShipStrategy strategy) => strategy.ToString().ToLowerInvariant();

    /// <summary>
    /// Redistributes what <paramref name="parts"/>.Length consumer subtasks received under this
    /// requirement over <paramref name="parallelism"/> subtasks (a rescale of an iteration): by key
    /// group for a hash requirement, a full copy each for broadcast, evenly otherwise.
    /// </summary>
    public virtual List<T>[] Repartition(List<T>[] parts, int parallelism, int maxParallelism)
    {
        var result = new List<T>[parallelism];
        if (Kind == RequirementKind.Broadcast)
        {
            for (int i = 0; i < parallelism; i++) result[i] = new List<T>(parts.Length > 0 ? parts[0] : []);
            return result;
        }
        long total = parts.Sum(p => (long)p.Count);
        for (int i = 0; i < parallelism; i++) result[i] = new List<T>((int)(total / parallelism + 1));
        long n = 0;
        foreach (var part in parts)
        {
            foreach (var x in part) result[(int)(n++ * parallelism / Math.Max(1, total))].Add(x);
        }
        return result;
    }

    public virtual object CreateOutput(ShipStrategy strategy, ExchangeTargets targets, string consumer) => strategy switch
    {
        ShipStrategy.Forward => new BatchingOutput<T>(targets, roundRobin: false),
        ShipStrategy.Rebalance => new BatchingOutput<T>(targets, roundRobin: true),
        ShipStrategy.Broadcast => new BroadcastOutput<T>(targets),
        _ => throw new InvalidOperationException($"No key for a {strategy} exchange."),
    };
}

/// <summary>Hash partitioning on <see cref="KeySelector"/>.</summary>
internal sealed class HashRequirement<T, TKey> : Requirement<T>
{
    private readonly string _keyName;

    /// <exception cref="Dataflow.UnstableKeyException">The key type cannot be hashed identically in every process (refused as the plan is built).</exception>
    public HashRequirement(Func<T, TKey> key, string keyName)
        : base(RequirementKind.Hash)
    {
        Runtime.Partitioning.StableHash.EnsureStable<TKey>($"The key {keyName}");
        KeySelector = key;
        _keyName = keyName;
    }

    public Func<T, TKey> KeySelector { get; }

    public override Delegate Key => KeySelector;

    public override string Describe(ShipStrategy strategy) =>
        strategy == ShipStrategy.Hash ? $"hash({_keyName})" : base.Describe(strategy);

    public override List<T>[] Repartition(List<T>[] parts, int parallelism, int maxParallelism)
    {
        var result = new List<T>[parallelism];
        for (int i = 0; i < parallelism; i++) result[i] = new List<T>();
        foreach (var part in parts)
        {
            foreach (var x in part)
            {
                int group = Runtime.Partitioning.KeyGroups.KeyGroupOf(Runtime.Partitioning.StableHash.Of(KeySelector(x)), maxParallelism);
                result[Runtime.Partitioning.KeyGroups.SubtaskOf(group, parallelism, maxParallelism)].Add(x);
            }
        }
        return result;
    }

    public override object CreateOutput(ShipStrategy strategy, ExchangeTargets targets, string consumer) =>
        strategy == ShipStrategy.Hash ? new HashOutput<T, TKey>(targets, KeySelector, consumer) : base.CreateOutput(strategy, targets, consumer);
}

/// <summary>
/// Range partitioning for a global sort: the producer has tagged every record with its range, and
/// the exchange sends ranges to consumers in order (<see cref="RangeOutput{T}"/>).
/// </summary>
internal sealed class RangeRequirement<T> : Requirement<(int Range, T Item)>
{
    private readonly int _ranges;
    private readonly string _description;

    // A key of its own: no node is ever partitioned by it, so the compiler always places the exchange.
    private readonly Func<(int Range, T Item), int> _key = static x => x.Range;

    public RangeRequirement(int ranges, string description)
        : base(RequirementKind.Hash)
    {
        _ranges = ranges;
        _description = description;
    }

    public override Delegate Key => _key;

    public override string Describe(ShipStrategy strategy) =>
        strategy == ShipStrategy.Hash ? $"range({_description})" : base.Describe(strategy);

    public override List<(int Range, T Item)>[] Repartition(List<(int Range, T Item)>[] parts, int parallelism, int maxParallelism)
    {
        var result = new List<(int Range, T Item)>[parallelism];
        for (int i = 0; i < parallelism; i++) result[i] = new();
        foreach (var part in parts)
        {
            foreach (var x in part) result[RangeOutput<T>.SubtaskOf(x.Range, _ranges, parallelism)].Add(x);
        }
        return result;
    }

    public override object CreateOutput(ShipStrategy strategy, ExchangeTargets targets, string consumer) =>
        strategy == ShipStrategy.Hash ? new RangeOutput<T>(targets, _ranges) : base.CreateOutput(strategy, targets, consumer);
}
