using System.Reflection;
using System.Runtime.CompilerServices;

namespace Dataflow.Runtime.Execution;

/// <summary>
/// Compiles the non-generic methods of given types ahead of their first use. A worker process warms
/// up the code a rescale runs (the barrier, moving state between processes, the data plane's blob
/// transfer) so that its first rescale does not pay for compiling it: on a slow node that costs more
/// than the move itself (measurements: docs/elasticity.md). What is specific to a job's record types is
/// compiled at first use.
/// </summary>
public static class JitWarmUp
{
    /// <summary>Compiles the methods and constructors of <paramref name="roots"/> and their nested types.</summary>
    /// <returns>The number of methods compiled.</returns>
    public static int Prepare(IEnumerable<Type> roots)
    {
        ArgumentNullException.ThrowIfNull(roots);
        int prepared = 0;
        foreach (var type in roots.SelectMany(WithNested))
        {
            if (type.ContainsGenericParameters) continue;
            foreach (var method in type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Cast<MethodBase>().Concat(type.GetConstructors(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)))
            {
                if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null) continue;
                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    prepared++;
                }
#pragma warning disable CA1031 // Warming up is an optimization: whatever fails here is compiled at first use instead.
                catch (Exception)
                {
                }
#pragma warning restore CA1031
            }
        }
        return prepared;
    }

    private static IEnumerable<Type> WithNested(Type type)
    {
        yield return type;
        foreach (var nested in type.GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic))
        {
            foreach (var t in WithNested(nested)) yield return t;
        }
    }
}
