using System.Buffers;
using System.Net.WebSockets;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using StreamJsonRpc.Reflection;
using TraceIde.Host.Logging;

namespace TraceIde.Host.Transport;

/// <summary>
/// JSON-RPC over a WebSocket, one JSON-RPC message per WebSocket text message — the browser-mode counterpart of
/// <see cref="FrameSanitizer"/>. StreamJsonRpc's own WebSocketMessageHandler ends the connection
/// on a frame that is not a JSON-RPC message (and on an empty frame); this handler drops such a
/// frame, logs it and reads the next, so a malformed message is isolated like any failed request.
/// Binary frames are dropped too; a message larger than <see cref="MaxMessageBytes"/> closes the connection.
/// The host's own messages go out in frames of at most <see cref="FrameBytes"/>.
/// </summary>
public sealed class WebSocketMessageSanitizer : MessageHandlerBase, IJsonRpcMessageBufferManager
{
    /// <summary>Requests are small (filters, tags, Markdown); this bounds the memory one client can hold.</summary>
    public const int MaxMessageBytes = 8 * 1024 * 1024;

    /// <summary>The buffer segment a message is serialized into, and so the largest frame the host sends; a longer
    /// message goes as several frames (the page still receives one message).</summary>
    public const int FrameBytes = 64 * 1024;

    private readonly WebSocket _socket;
    private readonly HostLog _log;
    private readonly ArrayBufferWriter<byte> _content = new(4096);
    private IJsonRpcMessageBufferManager? _bufferedMessage;

    public WebSocketMessageSanitizer(WebSocket socket, IJsonRpcMessageTextFormatter formatter, HostLog log) : base(formatter)
    {
        _socket = socket;
        _log = log;
    }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    void IJsonRpcMessageBufferManager.DeserializationComplete(JsonRpcMessage message)
    {
        if (message is not null && ReferenceEquals(_bufferedMessage, message))
        {
            _bufferedMessage.DeserializationComplete(message);
            _bufferedMessage = null;
            _content.ResetWrittenCount();
        }
    }

    protected override async ValueTask<JsonRpcMessage?> ReadCoreAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ValueWebSocketReceiveResult result;
            do
            {
                result = await _socket.ReceiveAsync(_content.GetMemory(4096), cancellationToken).ConfigureAwait(false);
                _content.Advance(result.Count);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, "Closed as requested.").ConfigureAwait(false);
                    return null;
                }
                if (_content.WrittenCount > MaxMessageBytes)
                {
                    _log.Warn($"closing a WebSocket: a message exceeded {MaxMessageBytes} bytes");
                    await CloseAsync(WebSocketCloseStatus.MessageTooBig, "Message too big.").ConfigureAwait(false);
                    return null;
                }
            }
            while (!result.EndOfMessage);

            if (result.MessageType != WebSocketMessageType.Text || _content.WrittenCount == 0
                || !FrameSanitizer.IsJsonMessage(new ReadOnlySequence<byte>(_content.WrittenMemory))) // the stdio rule: requests and notifications only
            {
                _log.Warn($"dropped a WebSocket message that is not JSON-RPC ({result.MessageType}, {_content.WrittenCount} bytes)");
                _content.ResetWrittenCount();
                continue;
            }
            try
            {
                var message = Formatter.Deserialize(new ReadOnlySequence<byte>(_content.WrittenMemory));
                _bufferedMessage = message as IJsonRpcMessageBufferManager;
                if (_bufferedMessage is null) _content.ResetWrittenCount();
                return message;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.Warn($"dropped a malformed WebSocket message ({_content.WrittenCount} bytes): {e.Message}");
                _content.ResetWrittenCount();
            }
        }
    }

    protected override async ValueTask WriteCoreAsync(JsonRpcMessage content, CancellationToken cancellationToken)
    {
        // Serialized into pooled 64 KB segments, sent as one message of one frame per segment. One growing array
        // allocated several times a big answer's size per answer (doubling, all on the large-object heap, fresh
        // pages after the idle trim) and ManagedWebSocket copied the whole answer once more into a send buffer;
        // pooled segments allocate next to nothing (figures: docs/PERFORMANCE.md).
        using var message = new Sequence<byte>(ArrayPool<byte>.Shared) { MinimumSpanLength = FrameBytes };
        Formatter.Serialize(message, content);
        cancellationToken.ThrowIfCancellationRequested();
        ReadOnlyMemory<byte> frame = default;
        foreach (var segment in message.AsReadOnlySequence)
        {
            // A segment is larger than FrameBytes when one value (a long string) asked for more room at once.
            for (var offset = 0; offset < segment.Length; offset += FrameBytes)
            {
                if (!frame.IsEmpty) await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: false, cancellationToken).ConfigureAwait(false);
                frame = segment.Slice(offset, Math.Min(FrameBytes, segment.Length - offset));
            }
        }
        await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
    }

    protected override ValueTask FlushAsync(CancellationToken cancellationToken) => default;

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _socket.CloseAsync(status, reason, timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }
}
