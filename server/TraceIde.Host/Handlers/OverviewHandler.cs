using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`overview/*`: the Overview tab over the session's backend, which is its own metrics engine
/// (a tracking server computes server-side; a local store is computed by the host in SQL).</summary>
public sealed class OverviewHandler(HostSession session)
{
    [JsonRpcMethod(RpcMethods.OverviewUsage, UseSingleObjectParameterDeserialization = true)]
    public Task<OverviewUsageResult> UsageAsync(OverviewParams parameters, CancellationToken cancellationToken) =>
        Service().UsageAsync(Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.OverviewQuality, UseSingleObjectParameterDeserialization = true)]
    public Task<OverviewQualityResult> QualityAsync(OverviewParams parameters, CancellationToken cancellationToken) =>
        Service().QualityAsync(Require(parameters), cancellationToken);

    [JsonRpcMethod(RpcMethods.OverviewToolCalls, UseSingleObjectParameterDeserialization = true)]
    public Task<OverviewToolCallsResult> ToolCallsAsync(OverviewParams parameters, CancellationToken cancellationToken) =>
        Service().ToolCallsAsync(Require(parameters), cancellationToken);

    private readonly Lock _lock = new();
    private (ITraceBackend Backend, ITraceMetricsSource Source)? _engine;

    /// <summary>
    /// The engine for the session's backend, kept per backend: a local store answers in SQL; a tracking
    /// server is asked (≥ 3.9, SQL store) and, when it cannot aggregate, the host streams its traces instead.
    /// </summary>
    private OverviewService Service()
    {
        var backend = session.Backend;
        lock (_lock)
        {
            if (_engine is not { } e || !ReferenceEquals(e.Backend, backend))
            {
                ITraceMetricsSource source = backend switch
                {
                    ITraceMetricsSource own when backend.Kind == BackendKinds.MlflowServer => new FallbackMetricsSource(own, new StreamingMetricsEngine(backend)),
                    ITraceMetricsSource own => own,
                    _ => new StreamingMetricsEngine(backend),
                };
                _engine = e = (backend, source);
            }
            return new OverviewService(e.Source);
        }
    }

    private static T Require<T>(T? parameters) where T : class =>
        parameters ?? throw new BackendException(RpcErrorCodes.InvalidParams, "This method needs a parameter object.");
}
