using System.Runtime.CompilerServices;

namespace Dataflow.Runtime.Partitioning;

/// <summary>
/// Key-group arithmetic of docs/architecture.md §4: keys hash into a fixed number of key groups, and key
/// groups map to subtasks in contiguous ranges, so that rescaling moves whole groups.
/// </summary>
public static class KeyGroups
{
    /// <summary>The default number of key groups (the maximum parallelism).</summary>
    public const int DefaultMaxParallelism = 128;

    /// <summary>The murmur3 32-bit finalizer: spreads every input bit over the whole word.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>The key group of a key whose stable hash is <paramref name="hash"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int KeyGroupOf(int hash, int maxParallelism) => (int)(Mix((uint)hash) % (uint)maxParallelism);

    /// <summary>The subtask that owns <paramref name="keyGroup"/> at <paramref name="parallelism"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SubtaskOf(int keyGroup, int parallelism, int maxParallelism) => keyGroup * parallelism / maxParallelism;

    /// <summary>The contiguous range [start, end) of key groups owned by <paramref name="subtask"/>.</summary>
    public static (int Start, int End) RangeOf(int subtask, int parallelism, int maxParallelism)
    {
        // Smallest g with g * p / m >= s is ceil(s * m / p).
        int start = (subtask * maxParallelism + parallelism - 1) / parallelism;
        int end = ((subtask + 1) * maxParallelism + parallelism - 1) / parallelism;
        return (start, Math.Min(end, maxParallelism));
    }
}
