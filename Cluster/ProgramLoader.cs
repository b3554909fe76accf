using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;

namespace Dataflow.Cluster;

/// <summary>
/// Runs a job's program (an ordinary .NET console program) inside this process, in its own
/// collectible load context, with a <see cref="ClusterSession"/> as its ambient context: the engine
/// assemblies are shared with the host (so the program's environment finds the session), everything
/// else comes from the program's folder. When the program returns, its context is unloaded.
/// </summary>
public static class ProgramLoader
{
    private static readonly string[] s_shared = ["Dataflow.Runtime", "Dataflow.Operators", "Dataflow.Engine", "Dataflow.Scheduling", "Dataflow.Elasticity"];

    /// <summary>Runs the entry point of <paramref name="assemblyPath"/> with <paramref name="args"/> on a dedicated thread; returns its exit code.</summary>
    /// <exception cref="Exception">Whatever the program threw (unwrapped).</exception>
    public static Task<int> RunAsync(string assemblyPath, string[] args, ClusterSession? session)
    {
        var full = Path.GetFullPath(assemblyPath);
        if (!File.Exists(full)) throw new FileNotFoundException($"Program not found: {full}", full);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var context = new ProgramLoadContext(full);
            try
            {
                // The program's DataflowEnvironment.Create() runs its jobs in this cluster job.
                Dataflow.Runtime.Hosting.JobHostContext.Current = session is null ? null : new ClusterJobHost(session);
                var assembly = context.LoadFromAssemblyPath(full);
                var entry = assembly.EntryPoint ?? throw new InvalidOperationException($"{Path.GetFileName(full)} has no entry point.");
                object?[] parameters = entry.GetParameters().Length == 0 ? [] : [args];
                object? result;
                try
                {
                    result = entry.Invoke(null, parameters);
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
                int code = result switch
                {
                    int i => i,
                    Task<int> t => t.GetAwaiter().GetResult(),
                    Task t => Wait(t),
                    _ => 0,
                };
                done.TrySetResult(code);
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
            finally
            {
                Dataflow.Runtime.Hosting.JobHostContext.Current = null;
                context.Unload();
            }
        })
        {
            Name = "program " + Path.GetFileNameWithoutExtension(full),
            IsBackground = true,
        };
        thread.Start();
        return done.Task;
    }

    private static int Wait(Task t)
    {
        t.GetAwaiter().GetResult();
        return 0;
    }

    private sealed class ProgramLoadContext(string program) : AssemblyLoadContext("dataflow-program", isCollectible: true)
    {
        private readonly AssemblyDependencyResolver _resolver = new(program);
        private readonly string _directory = Path.GetDirectoryName(program)!;

        protected override Assembly? Load(AssemblyName name)
        {
            if (s_shared.Contains(name.Name) || (name.Name?.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) ?? false)) return null;
            var path = _resolver.ResolveAssemblyToPath(name);
            if (path is null)
            {
                var local = Path.Combine(_directory, name.Name + ".dll");
                if (File.Exists(local)) path = local;
            }
            return path is null ? null : LoadFromAssemblyPath(path);
        }

        protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
        {
            var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
            return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
        }
    }
}
