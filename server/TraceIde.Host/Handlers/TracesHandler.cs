using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`traces/*`, `spans/get`, `sessions/list` and `assessments/*`: maps the contract onto <see cref="TraceService"/>.</summary>
public sealed class TracesHandler(HostSession session)
{
    [JsonRpcMethod(RpcMethods.TracesSearch, UseSingleObjectParameterDeserialization = true)]
    public Task<TracesSearchResult> SearchAsync(TracesSearchParams parameters, CancellationToken cancellationToken) =>
        session.Traces.SearchAsync(Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.TracesGet, UseSingleObjectParameterDeserialization = true)]
    public Task<TracesGetResult> GetAsync(TracesGetParams parameters, CancellationToken cancellationToken) =>
        session.Traces.GetAsync(Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.SpansGet, UseSingleObjectParameterDeserialization = true)]
    public Task<SpansGetResult> GetSpansAsync(SpansGetParams parameters, CancellationToken cancellationToken) =>
        session.Traces.GetSpanPayloadsAsync(Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.TracesDelete, UseSingleObjectParameterDeserialization = true)]
    public async Task<TracesDeleteResult> DeleteAsync(TracesDeleteParams parameters, CancellationToken cancellationToken) =>
        new(await session.Traces.DeleteAsync(Params.Require(parameters), cancellationToken).ConfigureAwait(false));

    [JsonRpcMethod(RpcMethods.TracesSetTag, UseSingleObjectParameterDeserialization = true)]
    public async Task<EmptyResult> SetTagAsync(TracesSetTagParams parameters, CancellationToken cancellationToken)
    {
        await session.Traces.SetTagAsync(Params.Require(parameters), cancellationToken).ConfigureAwait(false);
        return new EmptyResult();
    }

    [JsonRpcMethod(RpcMethods.TracesDeleteTag, UseSingleObjectParameterDeserialization = true)]
    public async Task<EmptyResult> DeleteTagAsync(TracesDeleteTagParams parameters, CancellationToken cancellationToken)
    {
        await session.Traces.DeleteTagAsync(Params.Require(parameters), cancellationToken).ConfigureAwait(false);
        return new EmptyResult();
    }

    [JsonRpcMethod(RpcMethods.SessionsList, UseSingleObjectParameterDeserialization = true)]
    public Task<SessionsListResult> ListSessionsAsync(SessionsListParams parameters, CancellationToken cancellationToken) =>
        session.Traces.ListSessionsAsync(Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.AssessmentsCreate, UseSingleObjectParameterDeserialization = true)]
    public Task<AssessmentsWriteResult> CreateAssessmentAsync(AssessmentsCreateParams parameters, CancellationToken cancellationToken) =>
        session.Traces.CreateAssessmentAsync(Params.Require(parameters), session.Info.UserName, cancellationToken);

    [JsonRpcMethod(RpcMethods.AssessmentsUpdate, UseSingleObjectParameterDeserialization = true)]
    public Task<AssessmentsWriteResult> UpdateAssessmentAsync(AssessmentsUpdateParams parameters, CancellationToken cancellationToken) =>
        session.Traces.UpdateAssessmentAsync(Params.Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.AssessmentsDelete, UseSingleObjectParameterDeserialization = true)]
    public async Task<EmptyResult> DeleteAssessmentAsync(AssessmentsDeleteParams parameters, CancellationToken cancellationToken)
    {
        await session.Traces.DeleteAssessmentAsync(Params.Require(parameters), cancellationToken).ConfigureAwait(false);
        return new EmptyResult();
    }
}
