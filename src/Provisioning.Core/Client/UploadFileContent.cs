using System.Net;
using System.Net.Http.Headers;

namespace Provisioning.Core.Client;

/// <summary>A file sent as a request body part straight from disk, reporting the bytes sent so far; never held in memory whole.</summary>
internal sealed class UploadFileContent : HttpContent
{
    private const int ChunkSize = 81920;
    private readonly FileStream _file;
    private readonly IProgress<long>? _bytesSent;

    public UploadFileContent(FileStream file, string mediaType, IProgress<long>? bytesSent)
    {
        _file = file;
        _bytesSent = bytesSent;
        Headers.ContentType = new MediaTypeHeaderValue(mediaType);
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // A retried send starts again from the first byte.
        _file.Position = 0;
        byte[] buffer = new byte[ChunkSize];
        long sent = 0;
        int read;
        while ((read = await _file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            sent += read;
            _bytesSent?.Report(sent);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = _file.Length;
        return true;
    }
}
