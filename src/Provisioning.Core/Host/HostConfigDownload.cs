using Provisioning.Core.Api;
using Provisioning.Core.Client;
using Provisioning.Core.Crypto;
using Provisioning.Core.Station;

namespace Provisioning.Core.Host;

/// <summary>
/// The guide's <c>getConfig</c> for host tools (C.4): fetches every file of a configuration — node firmware and configs, and
/// each app bundle's firmware and configs — checks each against the size, SHA-256 and MD5 the server lists, and returns their
/// validated local paths. Downloads go through the station's <see cref="NodeFileDownload"/> (one download and check for
/// both). A file is written to a temporary name in its folder and renamed only once it matched, so a failed check leaves
/// no file; a file already there with the same content is kept. In shared file system mode nothing is copied: each file
/// is checked where the share holds it (after the path translation) and that path is returned.
/// </summary>
public static class HostConfigDownload
{
    /// <summary>Folder of the node's files under the destination.</summary>
    public const string NodeFolder = "node";

    /// <summary>Folder of the app bundles' files under the destination (one subfolder per app).</summary>
    public const string AppsFolder = "apps";

    /// <summary>
    /// Fetches and checks every file of <paramref name="config"/>. Throws <see cref="StationFailureException"/>: 102 when a file
    /// does not match what the config lists, 108 when a shared file cannot be read, 100/101 when the server fails;
    /// <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the destination cannot be written.
    /// </summary>
    /// <param name="server">The server the configuration came from.</param>
    /// <param name="config">The configuration (from <see cref="ProvServerClient.GetConfigAsync"/>).</param>
    /// <param name="destination">The folder to download to (created when missing); unused in shared file system mode.</param>
    /// <param name="translation">The guide's path translation for shared file system mode; null for none.</param>
    /// <param name="progress">Reports each file and the bytes done.</param>
    /// <param name="cancellationToken">Stops the download; a file cut short is never left under its name.</param>
    public static async Task<HostConfigFiles> FetchAsync(ProvServerClient server, ConfigInfo config, string destination,
        PathTranslation? translation = null, IProgress<HostDownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);
        var root = Path.GetFullPath(destination);
        var plan = Plan(config, root);
        foreach (var app in config.Apps ?? [])
            CheckPublicKey(config, app);

        long total = plan.Sum(p => p.Link.Size), done = 0;
        var paths = new Dictionary<(string Owner, AppFileRole Role), string>();
        for (int i = 0; i < plan.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (owner, role, link, target) = plan[i];
            string shown = Path.GetRelativePath(root, target);
            long before = done;
            progress?.Report(new HostDownloadProgress(shown, i + 1, plan.Count, before, total));
            var received = progress is null ? null : new Progress<long>(b => progress.Report(new HostDownloadProgress(shown, i + 1, plan.Count, before + b, total)));
            paths[(owner, role)] = await FetchOneAsync(server, link, target, translation, received, cancellationToken).ConfigureAwait(false);
            done += link.Size;
        }
        progress?.Report(new HostDownloadProgress("", plan.Count, plan.Count, total, total));

        string? PathOf(string owner, AppFileRole role) => paths.GetValueOrDefault((owner, role));
        HostFilePaths Files(string owner) => new(PathOf(owner, AppFileRole.Firmware), PathOf(owner, AppFileRole.FieldConfig), PathOf(owner, AppFileRole.FactoryConfig));
        bool shared = plan.Count > 0 && plan.All(p => p.Link.Path is { Length: > 0 });
        return new HostConfigFiles(config, shared ? null : root, Files(""),
            (config.Apps ?? []).Select(a => new HostAppFiles(a.Name, a.Version, a.PublicKey, Files(a.Name))).ToList());
    }

    private static async Task<string> FetchOneAsync(ProvServerClient server, FileLink link, string target, PathTranslation? translation,
        IProgress<long>? received, CancellationToken cancellationToken)
    {
        if (link.Path is { Length: > 0 })
        {
            // Shared file system mode: checked where it is, never copied.
            await NodeFileDownload.FetchAsync(server, link, cancellationToken, translation).ConfigureAwait(false);
            return NodeFileDownload.SharedPath(link, translation);
        }
        if (await IsSameFileAsync(link, target, cancellationToken).ConfigureAwait(false))
            return target;
        byte[] bytes = await NodeFileDownload.FetchAsync(server, link, cancellationToken, translation, received).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        string temporary = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.part");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                // On disk before the rename, so a crash never leaves a short file under the real name.
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
            return target;
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    // A file already there is kept when it has the listed size and hashes (a second run downloads nothing).
    private static async Task<bool> IsSameFileAsync(FileLink link, string target, CancellationToken cancellationToken)
    {
        var info = new FileInfo(target);
        if (!info.Exists || info.Length != link.Size)
            return false;
        byte[] bytes = await File.ReadAllBytesAsync(target, cancellationToken).ConfigureAwait(false);
        try
        {
            NodeFileDownload.Check(link, bytes, "already in the destination");
            return true;
        }
        catch (StationFailureException)
        {
            return false;
        }
    }

    private static List<(string Owner, AppFileRole Role, FileLink Link, string Target)> Plan(ConfigInfo config, string root)
    {
        var plan = new List<(string, AppFileRole, FileLink, string)>();
        void Add(string owner, string folder, AppFileRole role, FileLink? link)
        {
            if (link is null) return;
            string name = link.Name ?? "";
            if (name.Length == 0 || name is "." or ".." || Path.GetFileName(name) != name || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw new StationFailureException(ProvExitCode.ServerResponseInvalid,
                    $"Config {config.ConfigId} lists a file named '{name}', which is not a plain file name; check that the server runs the same version as this module.")
                { ConfigId = config.ConfigId };
            plan.Add((owner, role, link, Path.Combine(folder, name)));
        }
        string node = Path.Combine(root, NodeFolder);
        Add("", node, AppFileRole.Firmware, config.Node?.Firmware);
        Add("", node, AppFileRole.FieldConfig, config.Node?.FieldConfig);
        Add("", node, AppFileRole.FactoryConfig, config.Node?.FactoryConfig);
        foreach (var app in config.Apps ?? [])
        {
            if (app.Name is null or "" or "." or ".." || Path.GetFileName(app.Name) != app.Name)
                throw new StationFailureException(ProvExitCode.ServerResponseInvalid,
                    $"Config {config.ConfigId} has an app bundle named '{app.Name}', which cannot name a folder.") { ConfigId = config.ConfigId };
            string folder = Path.Combine(root, AppsFolder, app.Name);
            Add(app.Name, folder, AppFileRole.Firmware, app.Firmware);
            Add(app.Name, folder, AppFileRole.FieldConfig, app.FieldConfig);
            Add(app.Name, folder, AppFileRole.FactoryConfig, app.FactoryConfig);
        }
        return plan;
    }

    // The public key the host tool will encrypt with must be usable before any file is fetched.
    private static void CheckPublicKey(ConfigInfo config, AppBundle app)
    {
        if (string.IsNullOrWhiteSpace(app.PublicKey)) return;
        try
        {
            using var _ = KmsKeyPair.ParsePublicKey(app.PublicKey, $"the public key of app '{app.Name}' in config {config.ConfigId}");
        }
        catch (KeyFileException e)
        {
            throw new StationFailureException(ProvExitCode.ServerResponseInvalid, $"{e.Message} Import the package again.", e) { ConfigId = config.ConfigId };
        }
    }
}
