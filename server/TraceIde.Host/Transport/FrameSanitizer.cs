using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using TraceIde.Host.Logging;

namespace TraceIde.Host.Transport;

/// <summary>
/// Sits between stdin and StreamJsonRpc. It forwards well-formed `Content-Length` frames whose body
/// is a JSON-RPC 2.0 message (see <see cref="IsJsonMessage"/>) and drops everything else (garbage bytes, bad headers, invalid JSON),
/// logging what it dropped and resynchronising on the next `Content-Length:` header. StreamJsonRpc
/// tears the connection down on a framing error; this keeps one bad message from killing the host.
/// </summary>
public sealed class FrameSanitizer
{
    // Every LSP header (Content-Length, Content-Type) starts with this.
    private static readonly byte[] HeaderName = "Content-"u8.ToArray();
    private const int MaxFrameBytes = 256 * 1024 * 1024;

    private readonly Stream _input;
    private readonly PipeWriter _output;
    private readonly HostLog _log;

    public FrameSanitizer(Stream input, PipeWriter output, HostLog log)
    {
        _input = input;
        _output = output;
        _log = log;
    }

    public int DroppedFrames { get; private set; }

    /// <summary>Pumps until the input ends, then completes the output (which ends the RPC connection).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = PipeReader.Create(_input, new StreamPipeReaderOptions(bufferSize: 64 * 1024));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TryTakeFrame(ref buffer, out var body))
                {
                    if (body is { } frame)
                    {
                        await WriteFrameAsync(frame, cancellationToken).ConfigureAwait(false);
                    }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException ex)
        {
            _log.Info($"stdin closed: {ex.Message}");
        }
        catch (Exception ex)
        {
            _log.Error($"reading stdin failed: {ex}");
            throw;
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes one frame off the buffer. Returns false when more data is needed. On true, body is the
    /// frame's body, or null when the bytes consumed were garbage that was dropped.
    /// </summary>
    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte>? body)
    {
        body = null;
        var reader = new SequenceReader<byte>(buffer);
        // Skip to the next header start; everything before it is garbage.
        switch (MatchHeaderStart(reader))
        {
            case HeaderMatch.NeedMoreData:
                return false;
            case HeaderMatch.No:
                var start = reader.Position;
                reader.Advance(1);
                if (reader.TryAdvanceTo((byte)'C', advancePastDelimiter: false))
                {
                    Drop(buffer.Slice(start, reader.Position), "bytes outside a frame");
                    buffer = buffer.Slice(reader.Position);
                    return true;
                }
                Drop(buffer, "bytes outside a frame");
                buffer = buffer.Slice(buffer.End);
                return false;
        }

        // Headers end at CRLFCRLF.
        if (!reader.TryReadTo(out ReadOnlySequence<byte> headers, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            if (buffer.Length > 8192)
            {
                Drop(buffer.Slice(0, 1), "an oversized header");
                buffer = buffer.Slice(1);
                return true;
            }
            return false;
        }

        var length = ParseContentLength(headers);
        if (length is null or < 0 or > MaxFrameBytes)
        {
            // Drop the whole header block; the scan resumes after it.
            Drop(buffer.Slice(0, reader.Position), "a header without a valid Content-Length");
            buffer = buffer.Slice(reader.Position);
            return true;
        }
        if (reader.Remaining < length.Value) return false;

        var frameBody = reader.UnreadSequence.Slice(0, length.Value);
        var end = frameBody.End;
        if (IsJsonMessage(frameBody))
        {
            body = frameBody;
        }
        else
        {
            Drop(frameBody, "a frame whose body is not a JSON-RPC message");
        }
        buffer = buffer.Slice(end);
        return true;
    }

    private enum HeaderMatch { Yes, No, NeedMoreData }

    private static HeaderMatch MatchHeaderStart(SequenceReader<byte> reader)
    {
        if (reader.Remaining == 0) return HeaderMatch.NeedMoreData;
        for (var i = 0; i < HeaderName.Length; i++)
        {
            if (!reader.TryRead(out var b)) return HeaderMatch.NeedMoreData;
            if (b != HeaderName[i]) return HeaderMatch.No;
        }
        return HeaderMatch.Yes;
    }

    private static int? ParseContentLength(ReadOnlySequence<byte> headers)
    {
        var text = Encoding.ASCII.GetString(headers);
        foreach (var line in text.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line[(colon + 1)..].Trim(), out var n))
            {
                return n;
            }
        }
        return null;
    }

    /// <summary>
    /// A JSON-RPC 2.0 request or notification in the shape StreamJsonRpc takes without ending the
    /// connection: an object with "jsonrpc": "2.0", a string "method", params (when present) an object
    /// or array, and an id (when present) a string, an integer or null. Responses are dropped too: the
    /// host never sends the client a request (only notifications), so any response is stray, and
    /// StreamJsonRpc ends the connection on one. `{}`, batches and a number as method ended it as well
    /// ("Expected a request, result, or error message"), and so did a method or id string with a lone
    /// surrogate escape — all found by HostFuzzTests.
    /// </summary>
    internal static bool IsJsonMessage(ReadOnlySequence<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 512 });
            using var doc = JsonDocument.ParseValue(ref reader);
            if (reader.Read()) return false; // something after the value
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return false;
            if (!root.TryGetProperty("jsonrpc", out var version) || !version.ValueEquals("2.0")) return false;
            if (!root.TryGetProperty("method", out var method) || method.ValueKind != JsonValueKind.String) return false;
            _ = method.GetString(); // throws on a lone surrogate ("\ud800"), which StreamJsonRpc cannot read either
            if (root.TryGetProperty("params", out var p) && p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)) return false;
            if (!root.TryGetProperty("id", out var id)) return true;
            if (id.ValueKind == JsonValueKind.String) _ = id.GetString(); // the same for a string id
            return id.ValueKind is JsonValueKind.String or JsonValueKind.Null
                || (id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out _));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return false;
        }
    }

    private async ValueTask WriteFrameAsync(ReadOnlySequence<byte> body, CancellationToken cancellationToken)
    {
        var header = Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n");
        _output.Write(header);
        foreach (var segment in body) _output.Write(segment.Span);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Drop(ReadOnlySequence<byte> bytes, string what)
    {
        if (bytes.Length == 0) return;
        DroppedFrames++;
        _log.Warn($"dropped {bytes.Length} bytes of input: {what}");
    }
}
