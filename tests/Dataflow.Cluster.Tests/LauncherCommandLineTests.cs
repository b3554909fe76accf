namespace Dataflow.Cluster.Tests;

/// <summary>The <c>dataflow</c> launcher's command lines (System.CommandLine): help everywhere, usage errors exit 2 naming what is wrong.</summary>
public sealed class LauncherCommandLineTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(1);

    [Theory]
    [InlineData("--help")]
    [InlineData("run --help")]
    [InlineData("coordinator --help")]
    [InlineData("worker --help")]
    [InlineData("submit --help")]
    [InlineData("status --help")]
    [InlineData("stop --help")]
    [InlineData("predict-eval --help")]
    [InlineData("scaleout --help")]
    public void Help_EveryCommand_ExitsZeroAndDescribesItsOptions(string command)
    {
        var r = Repo.Run(s_timeout, [Repo.Launcher, .. command.Split(' ')]);
        Assert.True(r.Exit == 0, r.Err);
        Assert.Contains("Usage:", r.Out, StringComparison.Ordinal);
        if (command == "--help")
        {
            foreach (var c in new[] { "run", "coordinator", "worker", "submit", "status", "stop", "predict-eval", "scaleout" }) Assert.Contains(c, r.Out, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("--", r.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("status --coordinatr 127.0.0.1:1 --secret-file s", "--coordinatr")]
    [InlineData("worker --coordinator 127.0.0.1:1 --secret-file s --slot 2", "--slot")]
    [InlineData("run --workers 2 --wrkers 3 -- examples/PageRank", "--wrkers")]
    [InlineData("submit --coordinator 127.0.0.1:1 --secret-file s --max-worker 3 -- examples/PageRank", "--max-worker")]
    [InlineData("coordinator --listen 127.0.0.1:1 --secret-file s --standby cold", "--standby")]
    [InlineData("predict-eval --trace t.csv --model arima --horizn 3", "--horizn")]
    [InlineData("lanuch --workers 2", "lanuch")]
    public void UnknownOptionOrCommand_ExitsTwoNamingIt(string command, string misspelled)
    {
        var r = Repo.Run(s_timeout, [Repo.Launcher, .. command.Split(' ')]);
        Assert.Equal(2, r.Exit);
        Assert.Contains(misspelled, r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("worker --coordinator 127.0.0.1:1 --secret-file s --slots zero", "--slots")]
    [InlineData("worker --coordinator 127.0.0.1:1 --secret-file s --slots 0", "--slots")]
    [InlineData("status --coordinator nowhere --secret-file s", "--coordinator")]
    [InlineData("coordinator --listen 127.0.0.1:1 --secret-file s --standbys lukewarm", "lukewarm")]
    [InlineData("predict-eval --trace t.csv --model lstm", "lstm")]
    [InlineData("run --workers 2 --initial-workers 3 -- examples/PageRank", "--initial-workers")]
    [InlineData("status --secret-file s", "--coordinator")]
    [InlineData("run --workers 2", "Required argument missing")]
    public void InvalidOrMissingValue_ExitsTwoNamingTheOption(string command, string named)
    {
        var r = Repo.Run(s_timeout, [Repo.Launcher, .. command.Split(' ')]);
        Assert.Equal(2, r.Exit);
        Assert.Contains(named, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void NoArguments_ExitsTwoPointingToHelp()
    {
        var r = Repo.Run(s_timeout, Repo.Launcher);
        Assert.Equal(2, r.Exit);
        Assert.Contains("--help", r.Err, StringComparison.Ordinal);
    }
}
