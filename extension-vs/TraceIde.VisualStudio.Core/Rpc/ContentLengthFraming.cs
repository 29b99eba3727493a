using System.Text;

namespace TraceIde.VisualStudio.Core.Rpc;

/// <summary>LSP-style framing: `Content-Length: N\r\n` (other headers ignored), a blank line, N bytes of UTF-8 JSON.</summary>
public sealed class ContentLengthReader
{
    private const int MaxHeaderBytes = 8 * 1024;
    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public ContentLengthReader(Stream stream) => _stream = stream;

    /// <summary>The next message body, or null at end of stream. Throws <see cref="InvalidDataException"/> on a malformed header.</summary>
    public async Task<byte[]?> ReadAsync(CancellationToken cancellationToken)
    {
        int? length = null;
        while (true)
        {
            var line = await ReadHeaderLineAsync(cancellationToken).ConfigureAwait(false);
            if (line == null) return null;
            if (line.Length == 0)
            {
                if (length == null) continue; // tolerate stray blank lines between frames
                break;
            }
            var colon = line.IndexOf(':');
            if (colon > 0 && line.Substring(0, colon).Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                if (!int.TryParse(line.Substring(colon + 1).Trim(), out var n) || n < 0)
                    throw new InvalidDataException("Bad Content-Length header: " + line);
                length = n;
            }
        }
        var body = new byte[length!.Value];
        var copied = 0;
        while (copied < body.Length)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new EndOfStreamException("The stream ended inside a message body.");
            var n = Math.Min(_end - _start, body.Length - copied);
            Buffer.BlockCopy(_buffer, _start, body, copied, n);
            _start += n;
            copied += n;
        }
        return body;
    }

    private async Task<string?> ReadHeaderLineAsync(CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                if (line.Count == 0) return null;
                throw new EndOfStreamException("The stream ended inside a header.");
            }
            var b = _buffer[_start++];
            if (b == (byte)'\n')
            {
                if (line.Count > 0 && line[line.Count - 1] == (byte)'\r') line.RemoveAt(line.Count - 1);
                return Encoding.ASCII.GetString(line.ToArray());
            }
            line.Add(b);
            if (line.Count > MaxHeaderBytes) throw new InvalidDataException("Header line too long.");
        }
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await _stream.ReadAsync(_buffer, 0, _buffer.Length, cancellationToken).ConfigureAwait(false);
        return _end > 0;
    }
}

public static class ContentLengthWriter
{
    public static byte[] Frame(byte[] body)
    {
        var header = Encoding.ASCII.GetBytes("Content-Length: " + body.Length + "\r\n\r\n");
        var frame = new byte[header.Length + body.Length];
        Buffer.BlockCopy(header, 0, frame, 0, header.Length);
        Buffer.BlockCopy(body, 0, frame, header.Length, body.Length);
        return frame;
    }
}
