using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Provisioning.Core.Api;
using Provisioning.Core.Packaging;
using Provisioning.Server.Auth;
using Provisioning.Server.Hosting;
using Provisioning.Server.Import;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary><c>/api/v1/packages</c>: the overview (guide §7.1.2) and the import.</summary>
public static class PackageEndpoints
{
    private const int MaxPassphraseBytes = 4096, MaxCommentBytes = 16 * 1024;

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(ApiRoutes.Packages);
        group.MapGet("/", async (IProvStore store, bool? history, CancellationToken ct) =>
            Results.Json((await store.ListPackagesAsync(history ?? false, ct)).Select(PackageViews.Summary), ApiJson.Options)).RequireExporter();

        group.MapGet("/{configId}", async (string configId, IProvStore store, CancellationToken ct) =>
        {
            if (!RouteIds.TryConfigId(configId, out ulong id, out var error))
                return error!;
            var revisions = (await store.ListPackagesAsync(includeHistory: true, ct)).Where(p => p.ConfigId == id)
                .OrderByDescending(p => p.Revision).Select(PackageViews.Summary).ToList();
            return revisions.Count == 0 ? RouteIds.ConfigNotFound(id) : Results.Json(revisions, ApiJson.Options);
        }).RequireExporter();

        group.MapPost("/", Import).RequireAdmin().KeyTransport();
    }

    /// <summary>
    /// Multipart upload, parts in order: passphrase, comment (optional), package. The package part is verified while
    /// it streams in; nothing is buffered whole.
    /// </summary>
    private static async Task<IResult> Import(HttpContext context, PackageImporter importer, IOptions<ServerSettings> settings,
        ILogger<PackageImporter> log, bool? dryRun)
    {
        var ct = context.RequestAborted;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = settings.Value.MaxPackageSize + 64 * 1024;
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
            return ApiErrors.BadRequest("NotMultipart", "Send the package as multipart/form-data with the parts passphrase, comment (optional) and package, in that order.");

        // The package is verified on a worker thread with ordinary stream reads.
        if (context.Features.Get<IHttpBodyControlFeature>() is { } body)
            body.AllowSynchronousIO = true;

        char[]? passphrase = null;
        string? comment = null;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                var disposition = section.GetContentDispositionHeader();
                string name = disposition?.Name.Value?.Trim('"') ?? "";
                switch (name)
                {
                    case "passphrase":
                        byte[] raw = await ReadSmall(section.Body, MaxPassphraseBytes, "passphrase", ct);
                        passphrase = Encoding.UTF8.GetChars(raw);
                        Array.Clear(raw);
                        break;
                    case "comment":
                        comment = Encoding.UTF8.GetString(await ReadSmall(section.Body, MaxCommentBytes, "comment", ct)).Trim();
                        if (comment.Length == 0)
                            comment = null;
                        break;
                    case "package":
                        if (passphrase is null)
                            return ApiErrors.BadRequest("PassphraseMissing", "The passphrase part must come before the package part.");
                        string source = Path.GetFileName(disposition?.FileName.Value?.Trim('"') ?? "") is { Length: > 0 } file ? file : "upload";
                        var result = await importer.ImportAsync(section.Body, source, passphrase, comment, dryRun ?? false, ct);
                        return result.Imported
                            ? Results.Json(result, ApiJson.Options, statusCode: StatusCodes.Status201Created)
                            : Results.Json(result, ApiJson.Options);
                    default:
                        return ApiErrors.BadRequest("UnknownPart", $"Unexpected form part '{name}'; send passphrase, comment and package.");
                }
            }
            return ApiErrors.BadRequest("PackageMissing", "The upload has no package part.");
        }
        catch (PackageRejectedException ex)
        {
            return ApiErrors.Problem(StatusCodes.Status422UnprocessableEntity, ex.WrongPassphrase ? "WrongPassphrase" : "PackageInvalid", ex.Message);
        }
        catch (PackageFormatException ex)
        {
            return ApiErrors.Problem(StatusCodes.Status422UnprocessableEntity, "PackageInvalid", ex.Message);
        }
        catch (ImportConflictException ex)
        {
            return ApiErrors.Conflict("ImportConflict", ex.Message);
        }
        catch (AliasConflictException ex)
        {
            return ApiErrors.Conflict("AliasConflict", ex.Message);
        }
        catch (UploadTooLargeException ex)
        {
            return ApiErrors.Problem(StatusCodes.Status413PayloadTooLarge, "PackageTooLarge", ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return ApiErrors.BadRequest("PartTooLong", ex.Message);
        }
        catch (Exception ex) when (ex is IOException or BadHttpRequestException or OperationCanceledException)
        {
            // The client went away or the upload broke off: nothing was imported.
            log.LogWarning("A package upload ended early ({Reason}); nothing was imported.", ex.Message);
            return ApiErrors.BadRequest("UploadIncomplete", "The upload ended before the whole package arrived; nothing was imported. Send it again.");
        }
        finally
        {
            if (passphrase is not null)
                Array.Clear(passphrase);
        }
    }

    private static async Task<byte[]> ReadSmall(Stream section, int max, string part, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[1024];
        int n;
        while ((n = await section.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > max)
                throw new InvalidDataException($"The {part} part is longer than {max} bytes.");
            buffer.Write(chunk, 0, n);
        }
        byte[] result = buffer.ToArray();
        Array.Clear(buffer.GetBuffer());
        Array.Clear(chunk);
        return result;
    }
}
