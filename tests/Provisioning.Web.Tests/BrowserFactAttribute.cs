namespace Provisioning.Web.Tests;

/// <summary>
/// A test that drives Debian's chromium. Skipped (with the reason) when the browser is not installed, unless
/// PROV_TEST_REQUIRE_BROWSER=1 (set by .ci/run), where a missing browser fails the test with the same message.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : FactAttribute
{
    /// <summary>The browser the tests launch (Playwright never downloads one here).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Why browser tests cannot run on this machine; null when they can.</summary>
    public static string? Missing => File.Exists(ChromiumPath)
        ? null
        : $"needs Debian's chromium at {ChromiumPath} (apt-get install chromium fonts-dejavu-core; .ci/run installs it)";

    /// <summary>Whether a missing browser is a failure (CI) rather than a skip.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("PROV_TEST_REQUIRE_BROWSER") == "1";

    /// <summary>Sets <see cref="FactAttribute.Skip"/> from the machine.</summary>
    public BrowserFactAttribute()
    {
        if (!Required && Missing is { } reason)
            Skip = reason;
    }
}
