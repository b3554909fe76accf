namespace Dataflow.Cluster;

/// <summary>
/// Folders only their owner can read or write (mode 0700): caches of job files, a run's secret and
/// the workers' job folders. A shared, predictable folder under the system temp directory would let
/// another user plant a file that a worker later runs.
/// </summary>
public static class PrivateDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// The engine's folder for this user: <c>$XDG_CACHE_HOME/dataflow</c>, else <c>~/.cache/dataflow</c>
    /// (or, without a home, <c>dataflow-USER</c> in the temp directory).
    /// </summary>
    public static string UserRoot
    {
        get
        {
            var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (string.IsNullOrEmpty(cache))
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
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return path;
        }
        var parent = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(parent)) Directory.CreateDirectory(parent);
        Directory.CreateDirectory(path, OwnerOnly);
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
}
