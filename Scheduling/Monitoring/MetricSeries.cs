namespace Dataflow.Scheduling.Monitoring;

/// <summary>A bounded series of one metric of one worker: the newest <see cref="Capacity"/> (time, value) points, oldest first.</summary>
/// <remarks>Not thread-safe; <see cref="MetricHistory"/> guards its series and hands out copies.</remarks>
public sealed class MetricSeries
{
    private readonly long[] _times;
    private readonly double[] _values;
    private int _start;
    private int _count;

    /// <summary>Creates an empty series holding at most <paramref name="capacity"/> points.</summary>
    public MetricSeries(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _times = new long[capacity];
        _values = new double[capacity];
    }

    /// <summary>The most points kept.</summary>
    public int Capacity => _values.Length;

    /// <summary>The number of points held.</summary>
    public int Count => _count;

    /// <summary>The number of points ever added (including those that fell out).</summary>
    public long TotalAdded { get; private set; }

    /// <summary>The <paramref name="index"/>-th point held, 0 being the oldest.</summary>
    public (long TimeMs, double Value) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index));
            int i = (_start + index) % _values.Length;
            return (_times[i], _values[i]);
        }
    }

    /// <summary>Appends a point, dropping the oldest when full.</summary>
    public void Add(long timeMs, double value)
    {
        int end = (_start + _count) % _values.Length;
        _times[end] = timeMs;
        _values[end] = value;
        if (_count < _values.Length) _count++;
        else _start = (_start + 1) % _values.Length;
        TotalAdded++;
    }

    /// <summary>Copies the values held, oldest first.</summary>
    public double[] ToValueArray()
    {
        var result = new double[_count];
        for (int k = 0; k < _count; k++) result[k] = _values[(_start + k) % _values.Length];
        return result;
    }

    /// <summary>Copies the points held, oldest first.</summary>
    public (long TimeMs, double Value)[] ToArray()
    {
        var result = new (long, double)[_count];
        for (int k = 0; k < _count; k++) result[k] = this[k];
        return result;
    }
}
