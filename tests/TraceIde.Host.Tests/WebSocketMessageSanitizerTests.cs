using System.Buffers;
using System.Net.WebSockets;
using Nerdbank.Streams;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using TraceIde.Host.Logging;
using TraceIde.Host.Transport;
using TraceIde.Protocol;

namespace TraceIde.Host.Tests;

/// <summary>
/// The host's side of the browser-mode WebSocket (the server WebSocket Kestrel uses, over an in-memory duplex
/// stream); the client side reads the raw frames (RFC 6455 §5.2), so frame boundaries are seen as sent.
/// </summary>
public sealed class WebSocketMessageSanitizerTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly WebSocket _server;
    private readonly Stream _client;
    private readonly WebSocketMessageSanitizer _sanitizer;

    public WebSocketMessageSanitizerTests()
    {
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        _server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true });
        _client = clientStream;
        _sanitizer = new WebSocketMessageSanitizer(_server, RpcServer.CreateFormatter(), HostLog.Null);
    }

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
    }

    [Fact]
    public async Task A_small_answer_is_one_text_frame()
    {
        var message = Answer(new MarkdownRenderResult("<p>hi</p>"));
        var frames = await SendAndReceiveAsync(message);
        var frame = Assert.Single(frames);
        Assert.Equal(Serialized(message), frame);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_large_answer_is_one_message_of_several_text_frames_with_the_same_bytes(bool oneLongString)
    {
        // ~0.6–1.4 MB, as a big traces/get answer: the page must receive one message, byte for byte the serialization.
        // Many small values (a span list) fill the pooled segments; one long string asks for one big segment at once.
        var message = oneLongString
            ? Answer(new MarkdownRenderResult(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"<p>row {i}</p>"))))
            : Answer(new ExperimentsListResult(Enumerable.Range(0, 10_000)
                .Select(i => new Experiment { ExperimentId = $"{i}", Name = $"experiment {i}" })
                .ToArray()));
        var frames = await SendAndReceiveAsync(message);
        Assert.True(frames.Count > 1, $"expected several frames, got {frames.Count}");
        Assert.All(frames, f => Assert.InRange(f.Length, 1, WebSocketMessageSanitizer.FrameBytes));
        Assert.Equal(Serialized(message), frames.SelectMany(f => f).ToArray());

        // The next message starts a new one (the fragments ended with the last frame).
        var next = Answer(new MarkdownRenderResult("<p>next</p>"));
        Assert.Equal(Serialized(next), Assert.Single(await SendAndReceiveAsync(next)));
    }

    private static JsonRpcResult Answer<T>(T result) =>
        new() { RequestId = new RequestId(7), Result = result, ResultDeclaredType = typeof(T) };

    private static byte[] Serialized(JsonRpcMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>();
        RpcServer.CreateFormatter().Serialize(buffer, message);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes through the sanitizer while reading (the in-memory stream holds only so much).</summary>
    private async Task<List<byte[]>> SendAndReceiveAsync(JsonRpcMessage message)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var receive = ReceiveMessageAsync(cts.Token);
        await _sanitizer.WriteAsync(message, cts.Token);
        return await receive;
    }

    /// <summary>The payloads of one message's frames: a text frame, then continuation frames, the last with FIN.</summary>
    private async Task<List<byte[]>> ReceiveMessageAsync(CancellationToken ct)
    {
        var frames = new List<byte[]>();
        while (true)
        {
            var header = await ReadExactlyAsync(2, ct);
            var fin = (header[0] & 0x80) != 0;
            var opcode = header[0] & 0x0F;
            Assert.Equal(frames.Count == 0 ? 0x1 : 0x0, opcode); // text, then continuations
            Assert.Equal(0, header[1] & 0x80); // a server never masks
            long length = header[1] & 0x7F;
            if (length == 126) length = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2, ct));
            else if (length == 127) length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8, ct));
            frames.Add(await ReadExactlyAsync((int)length, ct));
            if (fin) return frames;
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken ct)
    {
        var bytes = new byte[count];
        await _client.ReadExactlyAsync(bytes, ct);
        return bytes;
    }
}
