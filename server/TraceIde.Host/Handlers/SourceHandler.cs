using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Core.Source;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>
/// `source/*` and `workspace/didChangeFiles`: between spans and the workspace's code. The evidence is
/// weighed in Core (<see cref="SourceLocator"/>, <see cref="PathMapper"/>, <see cref="SpanStatsService"/>);
/// this class fetches the trace and hands over the session's workspace index and metrics engine.
/// </summary>
public sealed class SourceHandler(HostSession session)
{
    [JsonRpcMethod(RpcMethods.SourceLocate, UseSingleObjectParameterDeserialization = true)]
    public async Task<SourceLocateResult> LocateAsync(SourceLocateParams parameters, CancellationToken cancellationToken)
    {
        var p = Params.Require(parameters);
        if (string.IsNullOrWhiteSpace(p.TraceId) || string.IsNullOrWhiteSpace(p.SpanId))
            throw Invalid("source/locate needs traceId and spanId.");
        var trace = await session.Backend.GetTraceAsync(p.TraceId, cancellationToken).ConfigureAwait(false);
        var span = trace.Spans.FirstOrDefault(s => string.Equals(s.SpanId, p.SpanId, StringComparison.OrdinalIgnoreCase))
            ?? throw new BackendException(RpcErrorCodes.NotFound, $"Trace {p.TraceId} has no span {p.SpanId}.");
        var index = session.Workspace;
        var view = await index.GetViewAsync(cancellationToken).ConfigureAwait(false);
        return new SourceLocateResult { Locations = SourceLocator.Locate(trace.Info, span, view, index.Roots) };
    }

    [JsonRpcMethod(RpcMethods.SourceMapPath, UseSingleObjectParameterDeserialization = true)]
    public async Task<SourceLocateResult> MapPathAsync(SourceMapPathParams parameters, CancellationToken cancellationToken)
    {
        var p = Params.Require(parameters);
        if (string.IsNullOrWhiteSpace(p.Path)) throw Invalid("source/mapPath needs a path.");
        if (p.Line is < 1) throw Invalid($"line is 1-based (was {p.Line}).");
        var index = session.Workspace;
        var view = await index.GetViewAsync(cancellationToken).ConfigureAwait(false);
        var matches = PathMapper.Map(view, index.Roots, p.Path);
        return new SourceLocateResult
        {
            Locations = matches.Select(m => new SourceLocation
            {
                Path = m.Path,
                Line = p.Line ?? 1,
                Confidence = Math.Round(PathMapper.Confidence(m, matches.Count), 3),
                Reason = m.Exact ? "the same file" : $"the longest matching path suffix ({m.MatchedSegments} of the path's trailing parts)",
                Kind = SourceLocationKinds.MappedPath,
            }).ToList(),
        };
    }

    [JsonRpcMethod(RpcMethods.SourceSpanStats, UseSingleObjectParameterDeserialization = true)]
    public Task<SourceSpanStatsResult> SpanStatsAsync(SourceSpanStatsParams parameters, CancellationToken cancellationToken) =>
        new SpanStatsService(session.MetricsSource, session.Backend, session.Clock, session.Workspace).GetAsync(Params.Require(parameters), cancellationToken);

    /// <summary>A notification: nothing is answered, and a bad path is skipped rather than failing the rest.</summary>
    [JsonRpcMethod(RpcMethods.WorkspaceDidChangeFiles, UseSingleObjectParameterDeserialization = true)]
    public async Task DidChangeFilesAsync(WorkspaceDidChangeFilesParams parameters)
    {
        if (parameters == null) return;
        try
        {
            await session.Workspace.ApplyChangesAsync(
                (parameters.Changed ?? []).Concat(parameters.Created ?? []), parameters.Deleted ?? [], CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            session.Log.Warn($"workspace/didChangeFiles: {e.Message}");
        }
    }

    private static BackendException Invalid(string message) => new(RpcErrorCodes.InvalidParams, message);
}
