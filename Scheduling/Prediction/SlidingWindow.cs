namespace Dataflow.Scheduling.Prediction;

/// <summary>The newest <see cref="Capacity"/> finite observations of a series, oldest first.</summary>
internal sealed class SlidingWindow
{
    private readonly double[] _buffer;
    private int _start;
    private int _count;

    public SlidingWindow(int capacity) => _buffer = new double[capacity];

    public int Capacity => _buffer.Length;

    public int Count => _count;

    public double Last => _buffer[(_start + _count - 1) % _buffer.Length];

    /// <summary>Appends <paramref name="value"/>; returns false (and ignores it) when it is not finite.</summary>
    public bool Add(double value)
    {
        if (!double.IsFinite(value)) return false;
        _buffer[(_start + _count) % _buffer.Length] = value;
        if (_count < _buffer.Length) _count++;
        else _start = (_start + 1) % _buffer.Length;
        return true;
    }

    public double[] ToArray()
    {
        var result = new double[_count];
        for (int k = 0; k < _count; k++) result[k] = _buffer[(_start + k) % _buffer.Length];
        return result;
    }

    public void Clear() => (_start, _count) = (0, 0);
}
