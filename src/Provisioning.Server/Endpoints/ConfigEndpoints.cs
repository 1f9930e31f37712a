using System.Security.Cryptography;
using Provisioning.Core.Api;
using Provisioning.Core.Crypto;
using Provisioning.Server.Auth;
using Provisioning.Server.Import;
using Provisioning.Server.Keys;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary><c>/api/v1/configs</c> and <c>/api/v1/files</c>: what stations fetch (guide C.4).</summary>
public static class ConfigEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var configs = app.MapGroup(ApiRoutes.Configs).AllowStations();
        configs.MapGet("/{configId}", async (string configId, HttpRequest request, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryConfigId(configId, out ulong id, out var error))
                return error!;
            return await store.GetPackageAsync(id, ct) is { } package
                ? Results.Json(PackageViews.Config(package, request), ApiJson.Options)
                : RouteIds.ConfigNotFound(id);
        });

        configs.MapGet("/alias/{alias}", async (string alias, HttpRequest request, IProvStore store, CancellationToken ct) =>
        {
            if (await store.ResolveAliasAsync(alias, ct) is not { } id || await store.GetPackageAsync(id, ct) is not { } package)
                return ApiErrors.NotFound("AliasNotFound", $"No imported package has the config alias '{alias}'; check the aliases with Get-ProvPackage.");
            return Results.Json(PackageViews.Config(package, request), ApiJson.Options);
        });

        configs.MapGet("/{configId}/gateway-keys", async (string configId, IProvStore store, MasterKey masterKey, CancellationToken ct) =>
        {
            if (!RouteIds.TryConfigId(configId, out ulong id, out var error))
                return error!;
            if (await store.GetGatewayKeysAsync(id, ct) is not { } sealedKeys)
                return RouteIds.ConfigNotFound(id);
            byte[] plain = new byte[MasterKey.PlaintextLength(sealedKeys.Sealed)];
            try
            {
                masterKey.Open(sealedKeys.Sealed, PackageImporter.GatewayKeysContext(id), plain);
                var gateway = plain.AsSpan(0, GatewayKeys.KeyLength);
                var cdld = plain.AsSpan(GatewayKeys.KeyLength, GatewayKeys.KeyLength);
                return Results.Json(new GatewayKeysInfo(id, sealedKeys.Revision, Convert.ToHexString(gateway), Convert.ToHexString(cdld),
                    GatewayKeys.CheckValue(gateway), GatewayKeys.CheckValue(cdld)), ApiJson.Options);
            }
            catch (CryptographicException)
            {
                return ApiErrors.Problem(StatusCodes.Status500InternalServerError, "MasterKeyMismatch",
                    "The gateway keys of this config cannot be opened with this server's master key; every server instance sharing the database needs the same master key file.");
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }).KeyTransport();

        app.MapGet(ApiRoutes.Files + "/{sha256}", async (string sha256, HttpContext context, FileRepository repository, IProvStore store, CancellationToken ct) =>
        {
            if (!FileRepository.IsSha256(sha256) || !await store.IsFileReferencedAsync(sha256, ct) || repository.OpenRead(sha256) is not { } file)
                return ApiErrors.NotFound("FileNotFound", $"The repository has no file with SHA-256 {sha256}; fetch the config again for current links.");
            return Results.File(file, "application/octet-stream", enableRangeProcessing: true,
                entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{sha256}\""));
        }).AllowStations();
    }
}
