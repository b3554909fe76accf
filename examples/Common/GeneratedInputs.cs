namespace Dataflow.Examples;

/// <summary>
/// Where the examples keep the inputs they generate: <c>--data-dir DIR</c>, else a per-user cache folder
/// (<c>$XDG_CACHE_HOME/dataflow/inputs</c>, else <c>~/.cache/dataflow/inputs</c>; on Windows under local
/// application data). Files are named by their parameters and reused, so each is written only once.
/// </summary>
internal static class GeneratedInputs
{
    /// <summary>The folder for generated inputs, created (owner-only on Unix) if missing.</summary>
    /// <exception cref="ArgumentException">No <c>--data-dir</c> and no home folder to put the cache in.</exception>
    public static string Folder(ExampleArgs args)
    {
        // Not the shared temp folder: there anyone can plant a file of the expected name (or read ours).
        var folder = args.Get("data-dir") is { } dir ? Path.GetFullPath(dir) : DefaultFolder();
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else CreateOwnerOnly(folder);
        return folder;
    }

    /// <summary>
    /// The file <paramref name="name"/> in <see cref="Folder"/>, generated first by <paramref name="generate"/> when
    /// missing. The generators write a temporary file in the same folder and rename it into place, so a reader
    /// never sees half a file and several processes generating at once (cluster copies of a program) each
    /// rename a complete, identical copy.
    /// </summary>
    public static string GetOrCreate(ExampleArgs args, string name, string description, Action<string> generate)
    {
        var path = Path.Combine(Folder(args), name);
        if (!File.Exists(path))
        {
            Console.WriteLine($"generating {description} at {path} ...");
            generate(path);
        }
        return path;
    }

    private static string DefaultFolder()
    {
        if (OperatingSystem.IsWindows())
        {
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "dataflow", "inputs");
        }
        // XDG base directories: a relative XDG_CACHE_HOME is invalid and ignored.
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) throw new ArgumentException("No home folder for the cache of generated inputs; give --data-dir DIR.");
            cache = Path.Combine(home, ".cache");
        }
        return Path.Combine(cache, "dataflow", "inputs");
    }

    /// <summary>Creates <paramref name="folder"/> and each missing parent with mode 0700 (the mode of the call with a mode applies only to the last folder).</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static void CreateOwnerOnly(string folder)
    {
        if (Directory.Exists(folder)) return;
        if (Path.GetDirectoryName(folder) is { } parent) CreateOwnerOnly(parent);
        Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); // no-op if another process was first
    }
}
