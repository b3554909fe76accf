using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Basic;

/// <summary>Applies a function to every record (<c>Select</c>).</summary>
public sealed class MapOperator<TIn, TOut> : Collector<TIn>
{
    private readonly Func<TIn, TOut> _map;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly TOut[] _buffer;

    /// <summary>Creates the operator.</summary>
    public MapOperator(Func<TIn, TOut> map, Collector<TOut> downstream, OperatorInfo info)
    {
        _map = map;
        _downstream = downstream;
        _info = info;
        _buffer = new TOut[info.BatchSize];
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<TIn> batch)
    {
        var buffer = _buffer;
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, buffer.Length);
            try
            {
                for (int i = 0; i < n; i++) buffer[i] = _map(batch[i]);
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
            }
            _downstream.Push(new ReadOnlySpan<TOut>(buffer, 0, n));
            batch = batch[n..];
        }
    }

    /// <inheritdoc />
    public override void Close() => _downstream.Close();
}

/// <summary>Keeps the records a predicate accepts (<c>Where</c>).</summary>
public sealed class FilterOperator<T> : Collector<T>
{
    private readonly Func<T, bool> _predicate;
    private readonly Collector<T> _downstream;
    private readonly OperatorInfo _info;
    private readonly T[] _buffer;

    /// <summary>Creates the operator.</summary>
    public FilterOperator(Func<T, bool> predicate, Collector<T> downstream, OperatorInfo info)
    {
        _predicate = predicate;
        _downstream = downstream;
        _info = info;
        _buffer = new T[info.BatchSize];
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        var buffer = _buffer;
        while (!batch.IsEmpty)
        {
            int n = Math.Min(batch.Length, buffer.Length);
            int kept = 0;
            try
            {
                for (int i = 0; i < n; i++)
                {
                    if (_predicate(batch[i])) buffer[kept++] = batch[i];
                }
            }
            catch (Exception e) when (OperatorInfo.IsUserFault(e))
            {
                _info.Throw(e);
            }
            if (kept > 0) _downstream.Push(new ReadOnlySpan<T>(buffer, 0, kept));
            batch = batch[n..];
        }
    }

    /// <inheritdoc />
    public override void Close() => _downstream.Close();
}

/// <summary>Maps every record to zero or more records (<c>SelectMany</c> and <c>FlatMap</c>).</summary>
public sealed class FlatMapOperator<TIn, TOut> : Collector<TIn>
{
    private readonly Action<TIn, Emitter<TOut>> _flatMap;
    private readonly Collector<TOut> _downstream;
    private readonly OperatorInfo _info;
    private readonly Emitter<TOut> _emitter;

    /// <summary>Creates the operator for an emitter-style function.</summary>
    public FlatMapOperator(Action<TIn, Emitter<TOut>> flatMap, Collector<TOut> downstream, OperatorInfo info)
    {
        _flatMap = flatMap;
        _downstream = downstream;
        _info = info;
        _emitter = new Emitter<TOut>(downstream, info.BatchSize);
    }

    /// <summary>Creates the operator for a LINQ-style function.</summary>
    public FlatMapOperator(Func<TIn, IEnumerable<TOut>> selectMany, Collector<TOut> downstream, OperatorInfo info)
        : this((x, e) => { foreach (var y in selectMany(x)) e.Emit(y); }, downstream, info)
    {
    }

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<TIn> batch)
    {
        try
        {
            foreach (ref readonly var x in batch) _flatMap(x, _emitter);
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            _info.Throw(e);
        }
    }

    /// <inheritdoc />
    public override void Close()
    {
        _emitter.Flush();
        _downstream.Close();
    }
}

/// <summary>Passes records on unchanged; used where a vertex needs a head (e.g. after a repartitioning).</summary>
public sealed class IdentityOperator<T> : Collector<T>
{
    private readonly Collector<T> _downstream;

    /// <summary>Creates the operator.</summary>
    public IdentityOperator(Collector<T> downstream) => _downstream = downstream;

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch) => _downstream.Push(batch);

    /// <inheritdoc />
    public override void Close() => _downstream.Close();
}

/// <summary>Sends every batch to several downstream collectors (a data set consumed more than once).</summary>
public sealed class FanOutCollector<T> : Collector<T>
{
    private readonly Collector<T>[] _targets;

    /// <summary>Creates the fan-out.</summary>
    public FanOutCollector(Collector<T>[] targets) => _targets = targets;

    /// <inheritdoc />
    public override void Push(ReadOnlySpan<T> batch)
    {
        foreach (var t in _targets) t.Push(batch);
    }

    /// <inheritdoc />
    public override void Close()
    {
        foreach (var t in _targets) t.Close();
    }
}

/// <summary>Merges several inputs of the same type (<c>Union</c>): closes downstream after the last input closed.</summary>
public sealed class UnionOperator<T>
{
    private readonly Collector<T> _downstream;
    private int _open;

    /// <summary>Creates the operator with <paramref name="inputs"/> inputs.</summary>
    public UnionOperator(int inputs, Collector<T> downstream)
    {
        _open = inputs;
        _downstream = downstream;
        Inputs = Enumerable.Range(0, inputs).Select(_ => (Collector<T>)new Input(this)).ToArray();
    }

    /// <summary>One collector per input.</summary>
    public Collector<T>[] Inputs { get; }

    private sealed class Input(UnionOperator<T> owner) : Collector<T>
    {
        public override void Push(ReadOnlySpan<T> batch) => owner._downstream.Push(batch);

        public override void Close()
        {
            if (--owner._open == 0) owner._downstream.Close();
        }
    }
}
