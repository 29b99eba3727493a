using System.Text;
using System.Text.Json.Nodes;
using Nerdbank.Streams;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Tests;

/// <summary>The client's framing and cancellation over in-memory streams, with a hand-written "host" on the other end.</summary>
public sealed class HostRpcClientTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Stream _hostSide;
    private readonly HostRpcClient _client;
    private readonly ContentLengthReader _hostReader;

    public HostRpcClientTests()
    {
        var (a, b) = FullDuplexStream.CreatePair();
        _hostSide = b;
        _client = new HostRpcClient(a, a);
        _hostReader = new ContentLengthReader(b);
    }

    private async Task<JsonObject> HostReadsAsync() =>
        JsonNode.Parse((await _hostReader.ReadAsync(CancellationToken.None).WaitAsync(Timeout))!)!.AsObject();

    private async Task HostWritesAsync(string json, int splitEvery = 0)
    {
        var frame = ContentLengthWriter.Frame(Encoding.UTF8.GetBytes(json));
        if (splitEvery <= 0) { await _hostSide.WriteAsync(frame); }
        else
        {
            for (var i = 0; i < frame.Length; i += splitEvery)
            {
                await _hostSide.WriteAsync(frame.AsMemory(i, Math.Min(splitEvery, frame.Length - i)));
                await _hostSide.FlushAsync();
            }
        }
        await _hostSide.FlushAsync();
    }

    [Fact]
    public async Task A_request_is_framed_and_its_answer_matched_by_id_even_when_split_into_tiny_reads()
    {
        var call = _client.RequestAsync("traces/search", new JsonObject { ["experimentIds"] = new JsonArray("1") }, CancellationToken.None);
        var sent = await HostReadsAsync();
        Assert.Equal("2.0", (string)sent["jsonrpc"]!);
        Assert.Equal("traces/search", (string)sent["method"]!);
        var id = (long)sent["id"]!;

        await HostWritesAsync("{\"jsonrpc\":\"2.0\",\"method\":\"$/progress\",\"params\":{}}");
        await HostWritesAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":{{\"traces\":[],\"note\":\"héllo\"}}}}", splitEvery: 3);

        var outcome = await call.WaitAsync(Timeout);
        Assert.False(outcome.IsError);
        Assert.Equal("héllo", (string)outcome.Result!["note"]!);
    }

    [Fact]
    public async Task An_error_answer_keeps_code_message_and_data()
    {
        var call = _client.RequestAsync("traces/get", new JsonObject(), CancellationToken.None);
        var id = (long)(await HostReadsAsync())["id"]!;
        await HostWritesAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"error\":{{\"code\":-32004,\"message\":\"Trace tr-x not " +
            $"found\",\"data\":{{\"kind\":\"notFound\"}}}}}}");
        var outcome = await call.WaitAsync(Timeout);
        Assert.Equal(-32004, outcome.Error!.Code);
        Assert.Equal("Trace tr-x not found", outcome.Error.Message);
        Assert.Equal("notFound", (string)outcome.Error.Data!["kind"]!);
    }

    [Fact]
    public async Task Cancelling_sends_cancelRequest_with_the_id_and_drops_the_late_answer()
    {
        using var cts = new CancellationTokenSource();
        var call = _client.RequestAsync("overview/usage", new JsonObject(), cts.Token);
        var id = (long)(await HostReadsAsync())["id"]!;

        await cts.CancelAsync();
        var outcome = await call.WaitAsync(Timeout);
        Assert.Equal(-32800, outcome.Error!.Code);

        var cancel = await HostReadsAsync();
        Assert.Equal("$/cancelRequest", (string)cancel["method"]!);
        Assert.False(cancel.ContainsKey("id"));
        Assert.Equal(id, (long)cancel["params"]!["id"]!);

        // The late answer is ignored and the connection still works.
        await HostWritesAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"result\":1}}");
        var next = _client.RequestAsync("session/info", null, CancellationToken.None);
        var nextId = (long)(await HostReadsAsync())["id"]!;
        await HostWritesAsync($"{{\"jsonrpc\":\"2.0\",\"id\":{nextId},\"result\":2}}");
        Assert.Equal(2, (int)(await next.WaitAsync(Timeout)).Result!);
    }

    [Fact]
    public async Task When_the_host_goes_away_pending_requests_fail_with_connection_lost()
    {
        var call = _client.RequestAsync("traces/search", new JsonObject(), CancellationToken.None);
        await HostReadsAsync();
        _hostSide.Dispose();
        var outcome = await call.WaitAsync(Timeout);
        Assert.Equal(RpcError.ConnectionLost, outcome.Error!.Code);
        await _client.Completion.WaitAsync(Timeout);
        Assert.True(_client.IsClosed);
        Assert.Equal(RpcError.ConnectionLost, (await _client.RequestAsync("x", null, CancellationToken.None).WaitAsync(Timeout)).Error!.Code);
    }

    [Fact]
    public async Task The_reader_ignores_other_headers_and_rejects_a_bad_length()
    {
        var ms = new MemoryStream(Encoding.ASCII.GetBytes("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: " +
            "2\r\n\r\n{}Content-Length: x\r\n\r\n"));
        var reader = new ContentLengthReader(ms);
        Assert.Equal("{}", Encoding.UTF8.GetString((await reader.ReadAsync(CancellationToken.None))!));
        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync(CancellationToken.None));
        Assert.Null(await new ContentLengthReader(new MemoryStream()).ReadAsync(CancellationToken.None));
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _hostSide.Dispose();
        return ValueTask.CompletedTask;
    }
}
