using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Provisioning.Core.Packaging;
using Provisioning.Server.Store;

namespace Provisioning.Server.Import;

/// <summary>
/// The multipart upload of an import, read part by part as it streams in (nothing is buffered whole), for the API
/// (<c>POST /api/v1/packages</c>) and the web import page alike; and what each way an import fails means to a person.
/// </summary>
public static class ImportUpload
{
    /// <summary>Largest passphrase and comment parts accepted.</summary>
    public const int MaxPassphraseBytes = 4096, MaxCommentBytes = 16 * 1024;

    /// <summary>Prepares the request for an upload of up to <paramref name="maxPackageSize"/> and returns its multipart reader; null when it is no multipart form.</summary>
    public static MultipartReader? Open(HttpContext context, long maxPackageSize)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxPackageSize + 64 * 1024;
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 } boundary)
            return null;
        // The package is verified on a worker thread with ordinary stream reads.
        if (context.Features.Get<IHttpBodyControlFeature>() is { } body)
            body.AllowSynchronousIO = true;
        return new MultipartReader(boundary, context.Request.Body);
    }

    /// <summary>
    /// Reads the parts before the package (passphrase, comment) and stops at the package part, which the caller then
    /// streams; or at an unexpected part, or the end of the form.
    /// </summary>
    public static async Task<ImportForm> ReadFormAsync(MultipartReader reader, CancellationToken ct)
    {
        var form = new ImportForm();
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                switch (PartName(section))
                {
                    case "passphrase":
                        form.Passphrase = await ReadPassphraseAsync(section, ct);
                        break;
                    case "comment":
                        form.Comment = await ReadCommentAsync(section, ct);
                        break;
                    case "package":
                        form.Package = section;
                        return form;
                    default:
                        form.UnknownPart = PartName(section);
                        return form;
                }
            }
            return form;
        }
        catch
        {
            form.Dispose();
            throw;
        }
    }

    /// <summary>The form field name of a part.</summary>
    public static string PartName(MultipartSection section) => section.GetContentDispositionHeader()?.Name.Value?.Trim('"') ?? "";

    /// <summary>The uploaded file's own name (never a path), or "upload".</summary>
    public static string SourceName(MultipartSection section) =>
        Path.GetFileName(section.GetContentDispositionHeader()?.FileName.Value?.Trim('"') ?? "") is { Length: > 0 } file ? file : "upload";

    /// <summary>Reads the passphrase part; the caller clears the array.</summary>
    public static async Task<char[]> ReadPassphraseAsync(MultipartSection section, CancellationToken ct)
    {
        byte[] raw = await ReadSmallAsync(section.Body, MaxPassphraseBytes, "passphrase", ct);
        char[] passphrase = Encoding.UTF8.GetChars(raw);
        Array.Clear(raw);
        return passphrase;
    }

    /// <summary>Reads the comment part; null when blank.</summary>
    public static async Task<string?> ReadCommentAsync(MultipartSection section, CancellationToken ct) =>
        Encoding.UTF8.GetString(await ReadSmallAsync(section.Body, MaxCommentBytes, "comment", ct)).Trim() is { Length: > 0 } comment ? comment : null;

    /// <summary>Reads a small part whole, refusing more than <paramref name="max"/> bytes (InvalidDataException); buffers are cleared.</summary>
    public static async Task<byte[]> ReadSmallAsync(Stream section, int max, string part, CancellationToken ct)
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

    /// <summary>What a failed import means (status, stable error ID, message); null for an exception that is no import failure.</summary>
    public static ImportFailure? Describe(Exception ex, long maxPackageSize, ILogger log) => ex switch
    {
        PackageRejectedException rejected => new(StatusCodes.Status422UnprocessableEntity, rejected.WrongPassphrase ? "WrongPassphrase" : "PackageInvalid", rejected.Message),
        PackageFormatException => new(StatusCodes.Status422UnprocessableEntity, "PackageInvalid", ex.Message),
        ImportConflictException => new(StatusCodes.Status409Conflict, "ImportConflict", ex.Message),
        AliasConflictException => new(StatusCodes.Status409Conflict, "AliasConflict", ex.Message),
        StagedImportNotFoundException => new(StatusCodes.Status404NotFound, "StagedImportNotFound", ex.Message),
        UploadTooLargeException => new(StatusCodes.Status413PayloadTooLarge, "PackageTooLarge", ex.Message),
        InvalidDataException => new(StatusCodes.Status400BadRequest, "PartTooLong", ex.Message),
        // Kestrel's own limit (the package plus the form around it) says it in its words; say it in ours.
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            new(StatusCodes.Status413PayloadTooLarge, "PackageTooLarge", new UploadTooLargeException(maxPackageSize).Message),
        IOException or BadHttpRequestException or OperationCanceledException => Incomplete(ex, log),
        _ => null,
    };

    private static ImportFailure Incomplete(Exception ex, ILogger log)
    {
        // The client went away or the upload broke off: nothing was imported.
        log.LogWarning("A package upload ended early ({Reason}); nothing was imported.", ex.Message);
        return new(StatusCodes.Status400BadRequest, "UploadIncomplete", "The upload ended before the whole package arrived; nothing was imported. Send it again.");
    }
}

/// <summary>An import form read up to its package part; disposing clears the passphrase.</summary>
public sealed class ImportForm : IDisposable
{
    /// <summary>The passphrase part; null when the form had none before the package.</summary>
    public char[]? Passphrase { get; set; }
    /// <summary>The comment part; null when blank or absent.</summary>
    public string? Comment { get; set; }
    /// <summary>The package part, positioned to stream; null when the form ended (or went wrong) first.</summary>
    public MultipartSection? Package { get; set; }
    /// <summary>The name of a part the form should not have, where reading stopped.</summary>
    public string? UnknownPart { get; set; }
    /// <summary>The uploaded file's own name.</summary>
    public string SourceName => Package is null ? "upload" : ImportUpload.SourceName(Package);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Passphrase is not null)
            Array.Clear(Passphrase);
    }
}

/// <summary>Why an import failed, for the API's problem answer and the web page's message.</summary>
public sealed record ImportFailure(int Status, string ErrorId, string Message);

/// <summary>The audit details of an import (no secrets: names, hashes, revisions, error IDs).</summary>
public static class ImportAudit
{
    /// <summary>A verified or imported package.</summary>
    public static string Detail(string source, Provisioning.Core.Api.PackageSummary package, string? stagedId = null) =>
        System.Text.Json.JsonSerializer.Serialize(new { source, revision = package.Revision, sha256 = package.PackageSha256, staged = stagedId });

    /// <summary>A refused import.</summary>
    public static string Failure(ImportFailure failure) => System.Text.Json.JsonSerializer.Serialize(new { error = failure.ErrorId });
}
