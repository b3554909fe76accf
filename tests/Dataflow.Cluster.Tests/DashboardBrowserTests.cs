using System.Globalization;
using System.Text.RegularExpressions;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Dataflow.Cluster.Tests;

/// <summary>
/// The coordinator's dashboard as a user sees it: <c>dataflow run --workers 3 --ui</c> with an elastic PageRank, opened
/// in a real headless Chromium (Debian's <c>chromium</c> and <c>chromium-driver</c>, which <c>.ci/run</c> installs).
/// Set <c>DATAFLOW_DASHBOARD_SCREENSHOT=F.png</c> to keep a screenshot of the page.
/// </summary>
public sealed partial class DashboardBrowserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataflow-dashboard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex(@"dashboard: (?<url>http://\S+)")]
    private static partial Regex DashboardLine();

    private static int Count(IWebDriver browser, string id) =>
        int.TryParse(browser.FindElement(By.Id(id)).Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1;

    /// <summary>Runs <paramref name="script"/> in the page (one call: tables are redrawn at every update, so elements found earlier go stale).</summary>
    private static T Js<T>(IWebDriver browser, string script) => (T)((IJavaScriptExecutor)browser).ExecuteScript(script)!;

    private static long Rows(IWebDriver browser, string selector) => Js<long>(browser, $"return document.querySelectorAll('{selector}').length");

    /// <summary>Polls <paramref name="condition"/> (a hang guard of two minutes).</summary>
    private static void WaitFor(Func<bool> condition, string what, Repo.Child run)
    {
        for (int i = 0; i < 1200; i++)
        {
            if (condition()) return;
            Assert.False(run.HasExited, $"the run ended before {what}:\n{run.Out}\n{run.Err}");
            Thread.Sleep(100);
        }
        Assert.Fail($"not seen: {what}\n{run.Err}");
    }

    [Fact]
    public async Task Dashboard_ElasticPageRankOnThreeWorkers_BrowserSeesSuperstepsRiseARescaleAndMetrics()
    {
        // Parallelism 3 for 12 supersteps, then 2: a rescale the page must show while the job goes on.
        var schedule = string.Join(',', Enumerable.Repeat("3", 12).Append("2"));
        using var run = new Repo.Child(Repo.Launcher, "run", "--workers", "3", "--ui", "0", "--", Repo.Example("PageRank"), "--scale", "13", "--iterations", "100000",
            "--elasticity", "fixed", "--schedule", schedule, "--data-dir", _dir);
        Uri? url = null;
        WaitFor(() => (url = DashboardLine().Match(run.Err) is { Success: true } m ? new Uri(m.Groups["url"].Value) : null) is not null, "the dashboard's address", run);

        var options = new ChromeOptions { BinaryLocation = "/usr/bin/chromium" };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1800", $"--user-data-dir={Path.Combine(_dir, "chromium")}");
        using var service = ChromeDriverService.CreateDefaultService("/usr/bin", "chromedriver");
        service.HideCommandPromptWindow = true;
        using var browser = new ChromeDriver(service, options, TimeSpan.FromMinutes(1));
        await browser.Navigate().GoToUrlAsync(url!);
        Assert.Equal("Dataflow dashboard", browser.Title);

        WaitFor(() => Count(browser, "superstep-count") > 0, "a first superstep on the page", run);
        int first = Count(browser, "superstep-count");
        WaitFor(() => Count(browser, "superstep-count") > first, "the superstep count rising", run);
        WaitFor(() => Rows(browser, "#rescales tr.rescale-row") > 0, "a rescale on the page", run);
        var rescale = Js<string>(browser, "return document.querySelector('#rescales tr.rescale-row').innerText");
        Assert.Contains("3 → 2", rescale, StringComparison.Ordinal);
        Assert.Contains("fixed", rescale, StringComparison.Ordinal);
        Assert.Equal(1, Count(browser, "rescale-count"));
        WaitFor(() => browser.FindElement(By.Id("parallelism")).Text == "2", "parallelism 2 after the rescale", run);
        Assert.Equal("running", browser.FindElement(By.Id("status")).Text);
        Assert.Equal(3, Rows(browser, "#workers tbody tr"));
        Assert.True(Rows(browser, "#tasks tbody tr") > 0);
        Assert.Equal("live", browser.FindElement(By.Id("live")).Text);
        if (Environment.GetEnvironmentVariable("DATAFLOW_DASHBOARD_SCREENSHOT") is { Length: > 0 } shot) browser.GetScreenshot().SaveAsFile(shot);

        // The same run's Prometheus endpoint, scraped as a monitoring system would.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var metrics = await http.GetStringAsync(new Uri(url!, "/metrics"));
        Assert.True(DashboardTests.Sample(metrics, "dataflow_supersteps_total") >= 13, metrics);
        Assert.Equal(1, DashboardTests.Sample(metrics, "dataflow_rescales_total"));
        Assert.True(DashboardTests.Sample(metrics, "dataflow_operator_records_out_total") > 0, metrics);
        Assert.Contains("worker=\"w3\"", metrics, StringComparison.Ordinal);
    }
}
