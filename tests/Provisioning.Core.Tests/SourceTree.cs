namespace Provisioning.Core.Tests;

/// <summary>Files of the source tree the tests compare with (the published schemas the documentation names).</summary>
internal static class SourceTree
{
    /// <summary>The full path of <paramref name="relativePath"/> (e.g. <c>docs/schemas/device-keys.xsd</c>) in the tree the tests were built from.</summary>
    public static string Find(string relativePath)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relativePath);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException($"{relativePath} was not found above {AppContext.BaseDirectory}.");
    }
}
