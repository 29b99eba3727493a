using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Services;

/// <summary>
/// State of one client connection: the backend chosen by `initialize` and the services on top of
/// it. Handlers ask it for the services; before `initialize` they get a NotInitialized error.
/// </summary>
public sealed class HostSession : IDisposable
{
    private readonly HostLog _log;
    private TraceService? _traces;
    private ITraceBackend? _backend;

    public HostSession(HostLog log) => _log = log;

    public HostLog Log => _log;

    public ITraceBackend Backend => _backend ?? throw NotInitialized();

    public TraceService Traces => _traces ?? throw NotInitialized();

    public bool IsInitialized => _backend != null;

    /// <summary>Chooses and connects the backend. A second call replaces the first backend.</summary>
    public async Task<InitializeResult> InitializeAsync(InitializeParams parameters, CancellationToken cancellationToken)
    {
        var backend = BackendSelector.Create(parameters, Environment.GetEnvironmentVariable, _log);
        BackendInfo info;
        try
        {
            info = await backend.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var previous = _backend;
        _backend = backend;
        _traces = new TraceService(backend, _log);
        if (previous != null) await previous.DisposeAsync().ConfigureAwait(false);

        _log.Info($"connected to {backend.Kind} at {backend.DisplayLocation} (MLflow {info.MlflowVersion ?? "n/a"}) for {parameters.ClientName ?? "unnamed client"}");
        return new InitializeResult
        {
            ServerName = "traceide",
            ServerVersion = HostInfo.Version,
            ProtocolVersion = ProtocolInfo.Version,
            BackendKind = backend.Kind,
            BackendLocation = backend.DisplayLocation,
            MlflowVersion = info.MlflowVersion,
            Capabilities = info.Capabilities,
        };
    }

    private static BackendException NotInitialized() =>
        new(RpcErrorCodes.NotInitialized, "The host is not initialized: send `initialize` first.");

    public void Dispose()
    {
        if (_backend != null)
        {
#pragma warning disable VSTHRD002 // disposal at connection end; the backend's dispose is synchronous in practice
            _backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
    }
}

public static class HostInfo
{
    public static string Version { get; } =
        typeof(HostInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
