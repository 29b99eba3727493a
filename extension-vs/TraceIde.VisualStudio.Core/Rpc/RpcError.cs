using System.Text.Json.Nodes;
using TraceIde.Protocol;

namespace TraceIde.VisualStudio.Core.Rpc;

/// <summary>A JSON-RPC error object: the same {code, message, data} shape the host sends and the web UI reads.</summary>
public sealed class RpcError
{
    /// <summary>JSON-RPC: the request is not a valid request object.</summary>
    public const int InvalidRequest = -32600;
    /// <summary>JSON-RPC: method not found (also: not allowed through the relay).</summary>
    public const int MethodNotFound = -32601;
    /// <summary>JSON-RPC: internal error.</summary>
    public const int InternalError = -32603;
    /// <summary>Client-side: the connection to the host dropped or could not be opened (webview/src/transport.ts CONNECTION_LOST).</summary>
    public const int ConnectionLost = -32099;

    public RpcError(int code, string message, JsonNode? data = null)
    {
        Code = code;
        Message = message;
        Data = data;
    }

    public int Code { get; }
    public string Message { get; }
    public JsonNode? Data { get; }

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["code"] = Code, ["message"] = Message };
        if (Data != null) o["data"] = Data.DeepClone();
        return o;
    }

    /// <summary>Reads a JSON-RPC error object; anything malformed becomes an internal error (never throws).</summary>
    public static RpcError FromJson(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            var code = o["code"] is JsonValue c && c.TryGetValue<int>(out var ci) ? ci : InternalError;
            var message = o["message"] is JsonValue m && m.TryGetValue<string>(out var ms) && !string.IsNullOrEmpty(ms)
                ? ms
                : "Unknown error from the TraceIde host";
            return new RpcError(code, message, o["data"]?.DeepClone());
        }
        return new RpcError(InternalError, "Malformed error from the TraceIde host");
    }

    public static RpcError Cancelled() => new(RpcErrorCodes.Cancelled, "The request was cancelled");

    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of one request: a result (possibly JSON null) or an error.</summary>
public sealed class RpcOutcome
{
    private RpcOutcome(JsonNode? result, RpcError? error)
    {
        Result = result;
        Error = error;
    }

    public JsonNode? Result { get; }
    public RpcError? Error { get; }
    public bool IsError => Error != null;

    public static RpcOutcome Success(JsonNode? result) => new(result, null);
    public static RpcOutcome Failure(RpcError error) => new(null, error);
}

/// <summary>What the relay needs from the host: one request at a time, cancellable.</summary>
public interface IHostRpc
{
    /// <summary>Sends a request; never throws for RPC or connection errors (they come back as <see cref="RpcOutcome.Error"/>).
    /// Cancelling the token sends `$/cancelRequest` and completes with a cancelled error.</summary>
    Task<RpcOutcome> RequestAsync(string method, JsonNode? parameters, CancellationToken cancellationToken);
}
