using TraceIde.Protocol;

namespace TraceIde.Core.Backends;

/// <summary>
/// A failure a user can act on. <see cref="Code"/> is one of <see cref="RpcErrorCodes"/>; the message
/// says what happened and what to do, and never contains credentials.
/// </summary>
public sealed class BackendException : Exception
{
    public BackendException(int code, string message, Exception? inner = null, int? httpStatus = null, string? mlflowErrorCode = null)
        : base(message, inner)
    {
        Code = code;
        HttpStatus = httpStatus;
        MlflowErrorCode = mlflowErrorCode;
    }

    public int Code { get; }
    public int? HttpStatus { get; }
    public string? MlflowErrorCode { get; }

    public static BackendException NotFound(string message) => new(RpcErrorCodes.NotFound, message);
    public static BackendException InvalidFilter(string message) => new(RpcErrorCodes.InvalidFilter, message);
    public static BackendException Unsupported(string message) => new(RpcErrorCodes.Unsupported, message);
    public static BackendException BadResponse(string message, Exception? inner = null) => new(RpcErrorCodes.BadResponse, message, inner);
}
