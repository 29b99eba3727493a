using System.Buffers;
using System.Net.WebSockets;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using StreamJsonRpc.Reflection;
using TraceIde.Host.Logging;

namespace TraceIde.Host.Transport;

/// <summary>
/// JSON-RPC over a WebSocket, one message per text frame — the browser-mode counterpart of
/// <see cref="FrameSanitizer"/>. StreamJsonRpc's own WebSocketMessageHandler ends the connection
/// on a frame that is not a JSON-RPC message (and on an empty frame); this handler drops such a
/// frame, logs it and reads the next, so a malformed message is isolated like any failed request.
/// Binary frames are dropped too; a message larger than <see cref="MaxMessageBytes"/> closes the connection.
/// </summary>
public sealed class WebSocketMessageSanitizer : MessageHandlerBase, IJsonRpcMessageBufferManager
{
    /// <summary>Requests are small (filters, tags, Markdown); this bounds the memory one client can hold.</summary>
    public const int MaxMessageBytes = 8 * 1024 * 1024;

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
        var buffer = new ArrayBufferWriter<byte>();
        Formatter.Serialize(buffer, content);
        cancellationToken.ThrowIfCancellationRequested();
        await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, cancellationToken).ConfigureAwait(false);
    }

    protected override ValueTask FlushAsync(CancellationToken cancellationToken) => default;

    private async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _socket.CloseAsync(status, reason, timeout.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { }
    }
}
