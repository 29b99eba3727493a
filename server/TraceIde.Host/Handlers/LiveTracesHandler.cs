using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Core.Live;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`traces/window`, `traces/subscribe`, `traces/unsubscribe`: the traces a cell, debug session or run just made.</summary>
public sealed class LiveTracesHandler(HostSession session)
{
    [JsonRpcMethod(RpcMethods.TracesWindow, UseSingleObjectParameterDeserialization = true)]
    public Task<TracesWindowResult> WindowAsync(TracesWindowParams parameters, CancellationToken cancellationToken) =>
        TraceWindow.ReadAsync(session.Backend, Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.TracesSubscribe, UseSingleObjectParameterDeserialization = true)]
    public TracesSubscribeResult Subscribe(TracesSubscribeParams parameters) =>
        new(session.Live.Subscribe(session.Backend, Params.Require(parameters)));

    [JsonRpcMethod(RpcMethods.TracesUnsubscribe, UseSingleObjectParameterDeserialization = true)]
    public EmptyResult Unsubscribe(TracesUnsubscribeParams parameters)
    {
        session.Live.Unsubscribe(Params.Require(parameters).SubscriptionId ?? "");
        return new EmptyResult();
    }
}
