using Dataflow.Runtime.Hosting;

namespace Dataflow.Examples;

/// <summary>
/// Where the examples keep the inputs they generate: <c>--data-dir DIR</c>, else a per-user cache folder
/// (<c>inputs</c> under <see cref="PrivateDirectory.UserRoot"/>: <c>$XDG_CACHE_HOME/dataflow/inputs</c>, else
/// <c>~/.cache/dataflow/inputs</c>). Files are named by their parameters and reused, so each is written only once.
/// </summary>
internal static class GeneratedInputs
{
    /// <summary>The folder for generated inputs, created (owner-only on Unix) if missing.</summary>
    public static string Folder(ExampleSettings settings)
    {
        // Not the shared temp folder: there anyone can plant a file of the expected name (or read ours).
        return settings.DataDir is { } dir
            ? PrivateDirectory.EnsureExists(Path.GetFullPath(dir))
            : PrivateDirectory.UnderUserRoot("inputs");
    }

    /// <summary>
    /// The file <paramref name="name"/> in <see cref="Folder"/>, generated first by <paramref name="generate"/> when
    /// missing. The generators write a temporary file in the same folder and rename it into place, so a reader
    /// never sees half a file and several processes generating at once (cluster copies of a program) each
    /// rename a complete, identical copy.
    /// </summary>
    public static string GetOrCreate(ExampleSettings settings, string name, string description, Action<string> generate)
    {
        var path = Path.Combine(Folder(settings), name);
        if (!File.Exists(path))
        {
            Console.WriteLine($"generating {description} at {path} ...");
            generate(path);
        }
        return path;
    }
}
