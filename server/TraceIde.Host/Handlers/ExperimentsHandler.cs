using StreamJsonRpc;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`experiments/*`.</summary>
public sealed class ExperimentsHandler(HostSession session)
{
    [JsonRpcMethod(RpcMethods.ExperimentsList, UseSingleObjectParameterDeserialization = true)]
    public async Task<ExperimentsListResult> ListAsync(ExperimentsListParams? parameters, CancellationToken cancellationToken)
    {
        var experiments = await session.Backend.ListExperimentsAsync(parameters?.Query, cancellationToken).ConfigureAwait(false);
        return new ExperimentsListResult(experiments);
    }
}
