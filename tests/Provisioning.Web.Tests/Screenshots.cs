using Microsoft.Playwright;

namespace Provisioning.Web.Tests;

/// <summary>
/// Screenshots of the pages, saved by the tests under the test output (screenshots/*.png) and, with
/// PROV_UPDATE_SCREENSHOTS=1, copied to docs/web/ of the source tree for docs/web.md.
/// </summary>
public static class Screenshots
{
    /// <summary>Where this run's screenshots go.</summary>
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    /// <summary>Saves a full-page screenshot named <paramref name="name"/>.png and returns its path.</summary>
    public static async Task<string> TakeAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        if (Environment.GetEnvironmentVariable("PROV_UPDATE_SCREENSHOTS") == "1")
        {
            string docs = Path.Combine(SourceRoot(), "docs", "web");
            Directory.CreateDirectory(docs);
            File.Copy(path, Path.Combine(docs, name + ".png"), overwrite: true);
        }
        return path;
    }

    private static string SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Provisioning.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"The source tree (Provisioning.sln) was not found above {AppContext.BaseDirectory}.");
    }
}
