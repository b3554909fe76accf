namespace Dataflow.Runtime.Hosting;

/// <summary>
/// Folders only their owner can read or write (mode 0700): caches of job files, a run's secret and
/// the workers' job folders, the examples' generated inputs. A shared, predictable folder under the system temp directory would let
/// another user plant a file that a worker later runs.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The engine's folder for this user: <c>$XDG_CACHE_HOME/dataflow</c> (an absolute one; a relative
    /// value is invalid and ignored), else <c>~/.cache/dataflow</c>; on Windows under local application
    /// data; without a home folder, <c>dataflow-USER</c> in the temp directory.
    /// </summary>
    public static string UserRoot
    {
        get
        {
            if (OperatingSystem.IsWindows()) return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "dataflow");
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
            {
                var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
                if (string.IsNullOrEmpty(home)) return Path.Combine(Path.GetTempPath(), $"dataflow-{Environment.UserName}");
                cache = Path.Combine(home, ".cache");
            }
            return Path.Combine(cache, "dataflow");
        }
    }

    /// <summary>A folder under <see cref="UserRoot"/>, created private.</summary>
    public static string UnderUserRoot(string name) => Create(Path.Combine(Create(UserRoot), name));

    /// <summary>
    /// Creates <paramref name="path"/> (and its parents) with mode 0700, or makes an existing folder
    /// 0700; returns the path.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The folder exists and its mode cannot be made private (it belongs to someone else).</exception>
    public static string Create(string path)
    {
        EnsureExists(path);
        if (OperatingSystem.IsWindows()) return path;
        if ((File.GetUnixFileMode(path) & GroupOrOthers) != 0)
        {
            try
            {
                File.SetUnixFileMode(path, OwnerOnly);
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                throw new UnauthorizedAccessException($"The folder {path} is open to other users and is not yours to close (chmod 700 failed): use another folder.", e);
            }
        }
        return path;
    }

    /// <summary>
    /// Creates <paramref name="path"/> and each missing parent with mode 0700; a folder that exists is
    /// left as it is (one the user chose, e.g. <c>--data-dir</c>). Returns the path.
    /// </summary>
    public static string EnsureExists(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }
        if (Directory.Exists(path)) return path;
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } parent) EnsureExists(parent);
        Directory.CreateDirectory(path, OwnerOnly); // a no-op if another process was first
        return path;
    }
}
