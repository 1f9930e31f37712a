using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Provisioning.Core.Client;

/// <summary>
/// A text form field holding a secret (the gateway key file passphrase). Encoded straight from a char array so no
/// string copy of the secret is made; the bytes are zeroed once sent and the chars when the content is disposed.
/// </summary>
internal sealed class SecretTextContent : HttpContent
{
    private readonly char[] _secret;

    public SecretTextContent(ReadOnlySpan<char> secret)
    {
        _secret = secret.ToArray();
        Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        int length = Encoding.UTF8.GetByteCount(_secret);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        try
        {
            int written = Encoding.UTF8.GetBytes(_secret, buffer);
            await stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Array.Clear(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = Encoding.UTF8.GetByteCount(_secret);
        return true;
    }

    protected override void Dispose(bool disposing)
    {
        Array.Clear(_secret);
        base.Dispose(disposing);
    }
}
