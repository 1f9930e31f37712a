using Provisioning.Core.Api;
using Provisioning.Core.Packaging;
using Microsoft.Extensions.Options;
using Provisioning.Server.Hosting;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>Turns stored packages into the API's views.</summary>
public static class PackageViews
{
    /// <summary>An overview row.</summary>
    public static PackageSummary Summary(StoredPackage p) =>
        new(p.ConfigId, p.Revision, p.IsCurrent, p.NodeType, p.NodeVersion, p.AppLabel, p.Apps, p.Aliases, p.Comment,
            p.ImportedAt, p.Created, p.PackageSha256, p.KmsKeyFingerprint, p.ReplacedAt);

    /// <summary>What a station needs, with download URLs on the server the request came to.</summary>
    public static ConfigInfo Config(StoredPackage p, HttpRequest request)
    {
        string filesBase = $"{request.Scheme}://{request.Host}{request.PathBase}{ApiRoutes.Files}/";
        // Shared file system mode: stations read each file at its path in their view of the repository instead.
        var settings = request.HttpContext.RequestServices.GetService<IOptions<ServerSettings>>()?.Value;
        string? clientRoot = settings is { FileServing: FileServing.SharedFileSystem } ? settings.ClientRepositoryPath : null;
        FileLink? Link(PackageFileRole role, string? app = null) =>
            p.Files.FirstOrDefault(f => f.Role == role && f.App == app) is { } f
                ? new FileLink(Path.GetFileName(f.Path), filesBase + f.Sha256, f.Size, f.Md5, f.Sha256)
                {
                    Path = clientRoot is null ? null : SharedRepository.ClientPath(clientRoot, f.Sha256),
                }
                : null;

        var node = new NodeFiles(Link(PackageFileRole.NodeFirmware)!, Link(PackageFileRole.NodeFieldConfig), Link(PackageFileRole.NodeFactoryConfig));
        var apps = p.Apps.Select(a => new AppBundle(a.Name, a.Version, p.AppPublicKeys.GetValueOrDefault(a.Name),
            Link(PackageFileRole.AppFirmware, a.Name), Link(PackageFileRole.AppFieldConfig, a.Name), Link(PackageFileRole.AppFactoryConfig, a.Name))).ToList();
        return new ConfigInfo(p.ConfigId, p.Revision, p.Aliases, p.AppLabel, p.NodeType, p.NodeVersion, node, apps,
            p.KmsPublicKeyPem, p.KmsKeyFingerprint, p.ImportedAt)
        {
            HardwareTypes = p.HardwareTypes,
        };
    }
}
