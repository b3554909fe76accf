using System.Runtime.CompilerServices;

namespace Dataflow;

/// <summary>
/// A named, combinable value that every subtask adds to during a superstep; the combined value is
/// readable in the next superstep (<see cref="Value"/>) and by convergence criteria.
/// </summary>
/// <remarks>
/// Each thread adds into its own partial (no lock, no interlocked operation per record); the
/// partials are combined at the superstep barrier. <c>combine</c> must be associative and
/// commutative, with <c>zero</c> as its identity.
/// </remarks>
/// <typeparam name="T">The value type.</typeparam>
public sealed class Aggregator<T> : IAggregator
{
    // This thread's partials for aggregators of type T, one per aggregator it added to in the running
    // superstep. A list rather than one owner per thread: one operator often updates several
    // aggregators of one type (ctx.Sum and ctx.Max on double), and each must keep its own partial.
    [ThreadStatic] private static Partial[]? t_partials;
    [ThreadStatic] private static int t_last;

    private readonly Func<T, T, T> _combine;
    private readonly T _zero;
    private readonly List<Partial> _partials = new();
    private int _epoch = 1;

    internal Aggregator(string name, T zero, Func<T, T, T> combine)
    {
        Name = name;
        _zero = zero;
        _combine = combine;
        Value = zero;
    }

    /// <summary>The aggregator's name (the key in statistics).</summary>
    public string Name { get; }

    /// <summary>The combined value of the last finished superstep (<c>zero</c> before the first).</summary>
    public T Value { get; private set; }

    object? IAggregator.Value => Value;

    /// <summary>The number of partials of the running superstep (one per thread that added to it).</summary>
    internal int PartialCount
    {
        get
        {
            lock (_partials) return _partials.Count;
        }
    }

    /// <summary>Adds <paramref name="value"/> to this thread's partial for the running superstep.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(T value)
    {
        if (t_partials is { } partials && partials[t_last] is { } last && ReferenceEquals(last.Owner, this) && last.Epoch == _epoch)
        {
            last.Value = _combine(last.Value, value);
            return;
        }
        AddSlow(value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddSlow(T value)
    {
        var partials = t_partials ??= new Partial[4];
        int free = -1;
        for (int i = 0; i < partials.Length; i++)
        {
            var p = partials[i];
            if (p is null || p.Epoch != p.Owner._epoch)
            {
                if (free < 0) free = i; // empty, or its superstep's barrier has taken it
                continue;
            }
            if (ReferenceEquals(p.Owner, this))
            {
                t_last = i;
                p.Value = _combine(p.Value, value);
                return;
            }
        }
        if (free < 0)
        {
            free = partials.Length;
            Array.Resize(ref partials, partials.Length * 2);
            t_partials = partials;
        }
        var partial = new Partial(this, _epoch, _combine(_zero, value));
        lock (_partials)
        {
            _partials.Add(partial);
        }
        partials[free] = partial;
        t_last = free;
    }

    /// <summary>One thread's running value for one aggregator in one superstep.</summary>
    private sealed class Partial(Aggregator<T> owner, int epoch, T value)
    {
        public readonly Aggregator<T> Owner = owner;
        public readonly int Epoch = epoch;
        public T Value = value;
    }

    void IAggregator.Barrier()
    {
        lock (_partials)
        {
            var total = _zero;
            foreach (var p in _partials) total = _combine(total, p.Value!);
            _partials.Clear();
            Value = total;
            _epoch++;
        }
    }

    void IAggregator.WriteValue(Runtime.Serialization.ByteWriter writer) => Runtime.Serialization.Serializers.Get<T>().Write(writer, Value);

    void IAggregator.CombineValues(IReadOnlyList<Runtime.Serialization.ByteReader> readers)
    {
        var serializer = Runtime.Serialization.Serializers.Get<T>();
        var total = _zero;
        foreach (var r in readers) total = _combine(total, serializer.Read(r));
        Value = total;
    }

    void IAggregator.Reset()
    {
        lock (_partials)
        {
            _partials.Clear();
            Value = _zero;
            _epoch++;
        }
    }
}

/// <summary>The non-generic view of an aggregator used at the barrier.</summary>
internal interface IAggregator
{
    string Name { get; }

    object? Value { get; }

    /// <summary>Combines the partials of the finished superstep into <see cref="Value"/> and starts a new superstep.</summary>
    void Barrier();

    /// <summary>Writes this process's value (after <see cref="Barrier"/>).</summary>
    void WriteValue(Runtime.Serialization.ByteWriter writer);

    /// <summary>Sets the value to the combination of every process's value, read one from each reader, in order.</summary>
    void CombineValues(IReadOnlyList<Runtime.Serialization.ByteReader> readers);

    /// <summary>Forgets everything (a new run of the iteration).</summary>
    void Reset();
}
