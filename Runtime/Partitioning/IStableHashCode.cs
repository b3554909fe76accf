using Dataflow.Runtime.Partitioning;

namespace Dataflow;

/// <summary>
/// Implemented by a key type whose equality is its own (a custom <see cref="object.Equals(object)"/>
/// and <see cref="object.GetHashCode"/>) to give the engine a hash that is the same in every process.
/// </summary>
/// <remarks>
/// Keys that are equal by <see cref="object.Equals(object)"/> must return the same value, and the
/// value must not depend on anything that differs between processes: use
/// <see cref="Runtime.Partitioning.StableHash.Of{TKey}"/> on the members that equality compares,
/// never <see cref="string.GetHashCode()"/> or <see cref="HashCode"/>.
/// </remarks>
public interface IStableHashCode
{
    /// <summary>A hash code that equal keys share in every process.</summary>
    int GetStableHashCode();
}

/// <summary>A key type that cannot be hashed identically in every process, refused when the plan is built.</summary>
public sealed class UnstableKeyException(string message) : InvalidOperationException(message);
