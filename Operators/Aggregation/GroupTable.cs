using System.Runtime.CompilerServices;
using Dataflow.Operators.Core;
using Dataflow.Operators.Tables;
using Dataflow.Runtime.Records;

namespace Dataflow.Operators.Aggregation;

/// <summary>
/// The accumulators of a grouping, one per key: in a <see cref="DenseTable{TValue}"/> indexed by the key itself while
/// every key is a small non-negative integer (vertex and cluster ids: one array access per record), in an
/// <see cref="OpenHashMap{TKey, TValue}"/> from the first key that is not. Shared by the hash aggregate and the
/// join fused with it (<see cref="Join.JoinAggregateOperator{TProbe, TBuild, TJoinKey, TMid, TKey, TAcc}"/>).
/// </summary>
public sealed class GroupTable<TKey, TAcc>
{
    private readonly OpenHashMap<TKey, TAcc> _table = new(1024);
    private DenseTable<TAcc>? _dense = typeof(TKey) == typeof(int) || typeof(TKey) == typeof(long) ? new() : null;

    /// <summary>An empty table: the one the same subtask used in the last superstep when <paramref name="scratch"/> keeps one (its arrays stay grown), else a new one.</summary>
    public static GroupTable<TKey, TAcc> For(StateSlot? scratch)
    {
        if (scratch is null) return new();
        var kept = scratch.Keep(static () => new GroupTable<TKey, TAcc>(), out bool reused);
        if (reused) kept.Clear(); // empty after EmitAll, unless the superstep that used it failed
        return kept;
    }

    /// <summary>Forgets every accumulator, keeping the arrays.</summary>
    private void Clear()
    {
        if (_dense is { Count: > 0 } dense)
        {
            int none = 0;
            dense.Drain(ref none, static (ref int _, int _, TAcc _) => { });
        }
        _table.Clear();
    }

    /// <summary>Number of keys held.</summary>
    public int Count => _dense is { } d ? d.Count + _table.Count : _table.Count;

    /// <summary>Keys in the hash table: what a combiner bounds (a dense key costs one array slot, not an entry).</summary>
    public int HashedCount => _table.Count;

    /// <summary>A reference to the accumulator of <paramref name="key"/>; <paramref name="exists"/> is false (and the value default) for a new key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TAcc Find(TKey key, out bool exists)
    {
        if (_dense is { } dense)
        {
            long k = ToLong(key);
            if (DenseTable<TAcc>.InRange(k)) return ref dense.GetValueRefOrAddDefault(k, out exists);
            LeaveDense(dense);
        }
        return ref _table.GetValueRefOrAddDefault(key, out exists);
    }

    /// <summary>
    /// The dense table while keys go to it (integer keys, none out of range yet), for a loop that folds many records into
    /// <see cref="DenseTable{TValue}.Values"/> directly and reports with <see cref="DenseTable{TValue}.Added"/>; a key
    /// outside its arrays goes through <see cref="Find"/>, after which the loop takes the table again.
    /// </summary>
    internal DenseTable<TAcc>? Dense => _dense;

    /// <summary>The accumulator of <paramref name="key"/>, without adding the key when it is absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(TKey key, out TAcc acc)
    {
        if (_dense is { } dense)
        {
            long k = ToLong(key);
            return dense.TryGet(k, out acc);
        }
        int i = _table.IndexOf(key);
        if (i < 0)
        {
            acc = default!;
            return false;
        }
        acc = _table.ValueAt(i);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static long ToLong(TKey key) =>
        typeof(TKey) == typeof(int) ? Unsafe.As<TKey, int>(ref key) : Unsafe.As<TKey, long>(ref key);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TKey FromInt(int k)
    {
        if (typeof(TKey) == typeof(int)) return Unsafe.As<int, TKey>(ref k);
        long l = k;
        return Unsafe.As<long, TKey>(ref l);
    }

    /// <summary>A key out of the dense range: everything moves to the hash table, which takes every key from here on.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LeaveDense(DenseTable<TAcc> dense)
    {
        var table = _table;
        dense.Drain(ref table, static (ref OpenHashMap<TKey, TAcc> t, int k, TAcc v) => t.GetValueRefOrAddDefault(FromInt(k), out _) = v);
        dense.Release();
        _dense = null;
    }

    /// <summary>Emits one record per key (dense keys in ascending order, then the others in arrival order) and empties the table.</summary>
    public void EmitAll<TOut>(Func<TKey, TAcc, TOut> emit, Collector<TOut> downstream, OperatorInfo info)
    {
        var buffer = new BatchBuffer<TOut>(info.BatchSize);
        if (_dense is { Count: > 0 } dense)
        {
            var state = (Emit: emit, Info: info, Down: downstream, Buffer: buffer);
            dense.Drain(ref state, static (ref (Func<TKey, TAcc, TOut> Emit, OperatorInfo Info, Collector<TOut> Down, BatchBuffer<TOut> Buffer) s, int k, TAcc v) =>
                s.Buffer.Add(Call(s.Emit, FromInt(k), v, s.Info), s.Down));
            buffer = state.Buffer;
        }
        var keys = _table.Keys;
        var values = _table.Values;
        for (int i = 0; i < keys.Length; i++) buffer.Add(Call(emit, keys[i], values[i], info), downstream);
        buffer.Flush(downstream);
        _table.Clear();
    }

    private static TOut Call<TOut>(Func<TKey, TAcc, TOut> emit, TKey key, TAcc acc, OperatorInfo info)
    {
        try
        {
            return emit(key, acc);
        }
        catch (Exception e) when (OperatorInfo.IsUserFault(e))
        {
            info.Throw(e);
            throw;
        }
    }

    /// <summary>Returns the dense arrays to the pool (after the last <see cref="EmitAll"/>), unless the table is kept for the next superstep.</summary>
    public void Release(StateSlot? scratch)
    {
        if (scratch is not null) return;
        _dense?.Release();
        _dense = null;
    }
}
