using System.Text;

namespace Provisioning.Core.Gateway;

/// <summary>
/// The line framing shared by the gateway's control and radio protocols (docs/gateway-protocol.md): ASCII lines ended by
/// LF, a CR before the LF ignored, at most <see cref="MaxLineLength"/> bytes. Not thread-safe: one reader and one writer.
/// </summary>
internal sealed class GatewayLineStream(Stream stream)
{
    /// <summary>Longest line either side sends, terminator excluded.</summary>
    public const int MaxLineLength = 512;

    private readonly byte[] _buffer = new byte[4096];
    private int _start, _end;

    public Stream Stream { get; } = stream;

    /// <summary>The next line without its terminator; null when the peer closed the connection.</summary>
    /// <exception cref="InvalidDataException">A line longer than <see cref="MaxLineLength"/> or holding a non-ASCII byte.</exception>
    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await Stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (_end == 0) return null; // a partial line at the close is not a line
            }
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (lf < 0 ? _end : lf) - _start;
            line.AddRange(new ArraySegment<byte>(_buffer, _start, take));
            _start += take;
            if (line.Count > MaxLineLength + 1)
                throw new InvalidDataException($"the peer sent a line longer than {MaxLineLength} bytes");
            if (lf < 0) continue;
            _start++; // the LF
            if (line.Count > 0 && line[^1] == (byte)'\r') line.RemoveAt(line.Count - 1);
            if (line.Count > MaxLineLength)
                throw new InvalidDataException($"the peer sent a line longer than {MaxLineLength} bytes");
            if (line.Any(b => b is > 0x7E or < 0x20 and not (byte)'\t'))
                throw new InvalidDataException("the peer sent a line that is not printable ASCII");
            return Encoding.ASCII.GetString(line.ToArray());
        }
    }

    /// <summary>Writes one line and its LF.</summary>
    public async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(line + "\n");
        await Stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await Stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
