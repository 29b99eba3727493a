using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`overview/*`: the Overview tab over the session's backend, which is its own metrics engine
/// (a tracking server computes server-side; a local store is computed by the host in SQL).</summary>
/// <param name="notify">Sends a host → client notification (`$/progress`).</param>
public sealed class OverviewHandler(HostSession session, Func<string, object, Task> notify)
{
    /// <summary>At most this often a `$/progress` notification per request.</summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    [JsonRpcMethod(RpcMethods.OverviewUsage, UseSingleObjectParameterDeserialization = true)]
    public async Task<OverviewUsageResult> UsageAsync(OverviewParams parameters, CancellationToken cancellationToken)
    {
        using var _ = MetricsProgress.Use(ProgressFor(Params.Require(parameters)));
        return await Service().UsageAsync(parameters, cancellationToken).ConfigureAwait(false);
    }

    [JsonRpcMethod(RpcMethods.OverviewQuality, UseSingleObjectParameterDeserialization = true)]
    public async Task<OverviewQualityResult> QualityAsync(OverviewParams parameters, CancellationToken cancellationToken)
    {
        using var _ = MetricsProgress.Use(ProgressFor(Params.Require(parameters)));
        return await Service().QualityAsync(parameters, cancellationToken).ConfigureAwait(false);
    }

    [JsonRpcMethod(RpcMethods.OverviewToolCalls, UseSingleObjectParameterDeserialization = true)]
    public async Task<OverviewToolCallsResult> ToolCallsAsync(OverviewParams parameters, CancellationToken cancellationToken)
    {
        using var _ = MetricsProgress.Use(ProgressFor(Params.Require(parameters)));
        return await Service().ToolCallsAsync(parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A throttled `$/progress` sender for requests that asked for progress; null otherwise.</summary>
    private IProgress<long>? ProgressFor(OverviewParams parameters) =>
        parameters.ProgressToken is { Length: > 0 } token ? new ThrottledProgress(token, notify, session.Log) : null;

    private sealed class ThrottledProgress(string token, Func<string, object, Task> notify, Logging.HostLog log) : IProgress<long>
    {
        private long _lastSentTicks; // 0 = "long ago": TickCount64 counts from boot

        public void Report(long value)
        {
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref _lastSentTicks);
            if (now - last < ProgressInterval.TotalMilliseconds || Interlocked.CompareExchange(ref _lastSentTicks, now, last) != last) return;
            var message = new ProgressParams { Token = token, Message = $"{value:N0} traces read", Done = value };
            _ = notify(RpcMethods.Progress, message).ContinueWith(
                t => log.Debug($"progress notification not sent: {t.Exception?.GetBaseException().Message}"),
                CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>The Overview service over the session's metrics engine (<see cref="HostSession.MetricsSource"/>).</summary>
    private OverviewService Service() => new(session.MetricsSource, session.Clock);
}
