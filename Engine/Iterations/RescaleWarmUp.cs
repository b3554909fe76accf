using System.Reflection;
using System.Runtime.CompilerServices;

namespace Dataflow.Iterations;

/// <summary>
/// Compiles the code a rescale runs in a worker process ahead of time — the barrier protocol, the move
/// of iteration state between processes and the data plane's blob transfer — so that a job's first
/// rescale on a worker does not pay for compiling it. On a slow node (an emulated 0.25-core worker) that
/// first use otherwise costs 100–300 ms, more than the move itself. Only non-generic code can be
/// compiled ahead; what is specific to the job's record types is compiled at first use.
/// </summary>
public static class RescaleWarmUp
{
    /// <summary>Compiles the rescale path's methods (call once per worker process, e.g. on a background thread at start).</summary>
    /// <returns>The number of methods compiled.</returns>
    public static int Prepare()
    {
        int prepared = 0;
        Type[] roots =
        [
            typeof(IterationNode), typeof(MovableState), typeof(KeyedState), typeof(MoveBuffers), typeof(StateMover),
            typeof(Runtime.Cluster.ClusterSession), typeof(Runtime.Cluster.DataPlane),
            typeof(Runtime.Cluster.ControlCodec), typeof(Runtime.Cluster.ControlChannel),
        ];
        foreach (var root in roots)
        {
            foreach (var type in WithNested(root))
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
