using StreamJsonRpc;
using StreamJsonRpc.Protocol;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Transport;

/// <summary>
/// StreamJsonRpc's JsonRpc with TraceIde's error mapping: a <see cref="BackendException"/> becomes
/// a JSON-RPC error with its stable code and actionable message; anything unexpected becomes a
/// generic internal error whose details go to the log only (never stack traces to the client).
/// </summary>
public sealed class TraceIdeJsonRpc : JsonRpc
{
    private readonly HostLog _log;
    private readonly IdleTrimmer _idle;

    /// <param name="releaseCaches">What the connection keeps only to be faster; let go in the idle trimmer's deep step.</param>
    public TraceIdeJsonRpc(IJsonRpcMessageHandler handler, HostLog log, Action? releaseCaches = null) : base(handler)
    {
        _log = log;
        _idle = new IdleTrimmer(releaseCaches: releaseCaches);
    }

    /// <summary>Every request passes here: the idle trimmer counts the running ones.</summary>
    protected override async ValueTask<JsonRpcMessage> DispatchRequestAsync(
        JsonRpcRequest request,
        TargetMethod targetMethod,
        CancellationToken cancellationToken)
    {
        _idle.RequestStarted();
        try
        {
            return await base.DispatchRequestAsync(request, targetMethod, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _idle.RequestEnded();
        }
    }

    /// <summary>
    /// Every message leaves here. StreamJsonRpc answers a result it could not serialize with its own
    /// ResponseSerializationFailure (−32003) — the contract's Forbidden — and its other own codes
    /// (−32000, −32001, −32004) collide with the contract's codes too. An error under a contract code
    /// that <see cref="CreateErrorDetails"/> did not make (it marks its own with <see cref="RpcErrorData"/>)
    /// is therefore an internal failure, and goes out as InternalError.
    /// </summary>
    protected override ValueTask SendAsync(JsonRpcMessage message, CancellationToken cancellationToken)
    {
        if (message is JsonRpcError { Error: { } error } && IsContractCode((int)error.Code) && error.Data is not RpcErrorData)
        {
            _log.Error($"an internal failure was about to reach the client as {(int)error.Code} ({KindOf((int)error.Code)}): " +
                $"{HostLog.Redact(error.Message ?? "")}");
            error.Code = JsonRpcErrorCode.InternalError;
            error.Data = null; // StreamJsonRpc's exception details are for the log, not the client
        }
        return base.SendAsync(message, cancellationToken);
    }

    /// <summary>The contract's own range (RpcErrorCodes.Unreachable … NotInitialized).</summary>
    private static bool IsContractCode(int code) => code is <= RpcErrorCodes.Unreachable and >= RpcErrorCodes.NotInitialized;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _idle.Dispose();
        base.Dispose(disposing);
    }

    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        switch (Unwrap(exception))
        {
            case BackendException be:
                // A backend out of reach or failing is worth a warning; a bad request or a missing trace is routine.
                if (be.Code is RpcErrorCodes.Unreachable or RpcErrorCodes.Unauthorized or RpcErrorCodes.BadResponse or RpcErrorCodes.ServerError) _log.Warn(
                    $"{request.Method} failed ({be.Code}): {be.Message}");
                else _log.Info($"{request.Method} failed ({be.Code}): {be.Message}");
                return new JsonRpcError.ErrorDetail
                {
                    Code = (JsonRpcErrorCode)be.Code,
                    Message = HostLog.Redact(be.Message),
                    Data = new RpcErrorData(KindOf(be.Code), be.HttpStatus, be.MlflowErrorCode),
                };
            case OperationCanceledException:
                return new JsonRpcError.ErrorDetail { Code = (JsonRpcErrorCode)RpcErrorCodes.Cancelled, Message = "The request was cancelled." };
            case LocalRpcException:
                return base.CreateErrorDetails(request, exception);
            case var other:
                _log.Error($"{request.Method} failed unexpectedly: {other}");
                return new JsonRpcError.ErrorDetail
                {
                    Code = JsonRpcErrorCode.InternalError,
                    Message = $"Internal error in {request.Method}: {HostLog.Redact(other.Message)} (details in the TraceIde log)",
                };
        }
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException { InnerException: { } inner }) e = inner;
        while (e is System.Reflection.TargetInvocationException { InnerException: { } inner2 }) e = inner2;
        return e;
    }

    public static string KindOf(int code) => code switch
    {
        RpcErrorCodes.Unreachable => "unreachable",
        RpcErrorCodes.Unauthorized => "unauthorized",
        RpcErrorCodes.Forbidden => "forbidden",
        RpcErrorCodes.NotFound => "notFound",
        RpcErrorCodes.InvalidFilter => "invalidFilter",
        RpcErrorCodes.Unsupported => "unsupported",
        RpcErrorCodes.Cancelled => "cancelled",
        RpcErrorCodes.BadResponse => "badResponse",
        RpcErrorCodes.ServerError => "serverError",
        RpcErrorCodes.NotInitialized => "notInitialized",
        RpcErrorCodes.InvalidParams => "invalidParams",
        RpcErrorCodes.InternalError => "internal",
        _ => "error",
    };
}
