using TraceIde.Core.Backends;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>What every handler checks of a request's parameters before it reads them.</summary>
internal static class Params
{
    /// <summary>The parameter object, or the JSON-RPC "invalid params" error when the request had none.</summary>
    public static T Require<T>(T? parameters) where T : class =>
        parameters ?? throw new BackendException(RpcErrorCodes.InvalidParams, "This method needs a parameter object.");
}
