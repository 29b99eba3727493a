using Nerdbank.Streams;
using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Transport;
using TraceIde.Protocol;

namespace TraceIde.Host.Tests;

/// <summary>
/// The host's error mapping (<see cref="TraceIdeJsonRpc"/>) over a real StreamJsonRpc connection: a client
/// decides what to do from the code alone (retry, ask for credentials, …), so an internal failure must never
/// arrive under one of the contract's codes.
/// </summary>
public sealed class ErrorCodeMappingTests : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly StringWriter _logText = new();
    private readonly HostLog _log;
    private readonly TraceIdeJsonRpc _server;
    private readonly JsonRpc _client;

    public ErrorCodeMappingTests()
    {
        _log = new HostLog(_logText);
        var (serverStream, clientStream) = FullDuplexStream.CreatePair();
        _server = new TraceIdeJsonRpc(new HeaderDelimitedMessageHandler(serverStream, serverStream, RpcServer.CreateFormatter()), _log);
        _server.AddLocalRpcTarget(new Target(), new JsonRpcTargetOptions());
        _server.StartListening();
        _client = new JsonRpc(new HeaderDelimitedMessageHandler(clientStream, clientStream, new SystemTextJsonFormatter()));
        _client.StartListening();
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        _server.Dispose();
        await Task.CompletedTask;
        _log.Dispose();
    }

    private sealed record Unwritable(double Value);

    private sealed class Target
    {
        // System.Text.Json refuses NaN in a plain double: the answer fails after the method returned.
        [JsonRpcMethod("test/unserializable")]
        public Unwritable Unserializable() => new(double.NaN);

        [JsonRpcMethod("test/throws")]
        public int Throws() => throw new InvalidOperationException("boom");

        [JsonRpcMethod("test/forbidden")]
        public int Forbidden() => throw new BackendException(RpcErrorCodes.Forbidden, "denied (403)");
    }

    /// <summary>The error answer's code and message (StreamJsonRpc's client picks an exception type by code; only the code counts).</summary>
    private async Task<(int ErrorCode, string Message)> FailureOf(string method)
    {
        var ex = await Assert.ThrowsAnyAsync<RemoteRpcException>(() => _client.InvokeAsync<object>(method).WaitAsync(Timeout));
        return ((int)ex.ErrorCode!, ex.Message);
    }

    [Fact]
    public async Task An_answer_that_cannot_be_serialized_is_an_internal_error_not_forbidden()
    {
        var ex = await FailureOf("test/unserializable");
        Assert.Equal(RpcErrorCodes.InternalError, ex.ErrorCode);
        Assert.NotEqual(RpcErrorCodes.Forbidden, ex.ErrorCode);
        Assert.Contains("test/unserializable", _logText.ToString());
    }

    [Fact]
    public async Task An_exception_in_a_method_is_an_internal_error_with_details_in_the_log()
    {
        var ex = await FailureOf("test/throws");
        Assert.Equal(RpcErrorCodes.InternalError, ex.ErrorCode);
        Assert.DoesNotContain("at TraceIde", ex.Message); // no stack trace to the client
        Assert.Contains("InvalidOperationException", _logText.ToString());
    }

    [Fact]
    public async Task A_backend_failure_keeps_its_contract_code()
    {
        var ex = await FailureOf("test/forbidden");
        Assert.Equal(RpcErrorCodes.Forbidden, ex.ErrorCode);
        Assert.Equal("denied (403)", ex.Message);
    }
}
