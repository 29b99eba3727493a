using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Core.Source;
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
    private InitializeResult? _info;
    private BackendException? _initFailure;

    public HostSession(HostLog log) => _log = log;

    /// <summary>What "now" is for this session's services (<see cref="HostClock"/>; tests give their own).</summary>
    public TimeProvider Clock { get; init; } = HostClock.Current;

    /// <summary>
    /// Where the backend's settings and credentials come from when `initialize` leaves them out (MLFLOW_TRACKING_URI,
    /// its user, password and token, TRACEIDE_USER): the process's environment; a test hosting a session in its own
    /// process gives it a dictionary instead, so the machine's variables cannot change the outcome.
    /// </summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    public HostLog Log => _log;

    public ITraceBackend Backend => _backend ?? throw NotInitialized();

    public TraceService Traces => _traces ?? throw NotInitialized();

    /// <summary>
    /// The workspace folders' index for `source/*`, built in the background from `initialize` on (empty
    /// until a client names workspace folders).
    /// </summary>
    public WorkspaceIndex Workspace { get; private set; } = new([]);

    private readonly Lock _metricsLock = new();
    private (ITraceBackend Backend, ITraceMetricsSource Source)? _metrics;

    /// <summary>
    /// The metrics engine for the session's backend, kept per backend: a local store answers in SQL; a
    /// tracking server is asked (≥ 3.9, SQL store) and, when it cannot aggregate, the host streams its
    /// traces instead. Shared by the Overview tab and the CodeLens numbers.
    /// </summary>
    public ITraceMetricsSource MetricsSource
    {
        get
        {
            var backend = Backend;
            lock (_metricsLock)
            {
                if (_metrics is not { } e || !ReferenceEquals(e.Backend, backend))
                {
                    ITraceMetricsSource source = backend switch
                    {
                        ITraceMetricsSource own when backend.Kind == BackendKinds.MlflowServer => new FallbackMetricsSource(
                            own,
                            new StreamingMetricsEngine(backend)),
                        ITraceMetricsSource own => own,
                        _ => new StreamingMetricsEngine(backend),
                    };
                    _metrics = e = (backend, source);
                }
                return e.Source;
            }
        }
    }

    public bool IsInitialized => _backend != null;

    /// <summary>
    /// The connection's trace subscriptions (set by <c>RpcServer.Listen</c>, which owns the notification
    /// channel); stopped on shutdown, on a new backend and at the connection's end.
    /// </summary>
    public TraceSubscriptions Live
    {
        get => _live ?? throw new BackendException(RpcErrorCodes.Unsupported, "This connection cannot send notifications, so it cannot subscribe.");
        set => _live = value;
    }

    private TraceSubscriptions? _live;

    /// <summary>Stops every subscription (shutdown).</summary>
    public void StopLive() => _live?.StopAll();

    /// <summary>Lets go of what the session keeps only to be faster (see <see cref="TraceService.ReleaseCaches"/>).</summary>
    public void ReleaseCaches() => _traces?.ReleaseCaches();

    /// <summary>The result of the last successful <see cref="InitializeAsync"/> (`session/info`), with the clock read now.</summary>
    public InitializeResult Info => (_info ?? throw NotInitialized()) with { NowMs = Clock.GetUtcNow().ToUnixTimeMilliseconds() };

    /// <summary>
    /// True when the backend was chosen by the host itself (browser mode: on the command line), so a
    /// client may not choose another one with `initialize`.
    /// </summary>
    public bool BackendFixed { get; init; }

    /// <summary>Chooses and connects the backend. A second call replaces the first backend.</summary>
    public async Task<InitializeResult> InitializeAsync(InitializeParams parameters, CancellationToken cancellationToken)
    {
        var result = await InitializeAsync(
            BackendSelector.Create(parameters, Environment, _log),
            parameters.ClientName,
            cancellationToken,
            parameters.UserName).ConfigureAwait(false);
        UseWorkspaceFolders(parameters.WorkspaceFolders ?? []);
        return result;
    }

    /// <summary>
    /// Who writes assessments: the name the IDE gave, else <c>TRACEIDE_USER</c>, else the MLflow basic-auth user
    /// (<c>MLFLOW_TRACKING_USERNAME</c>, the name the server knows them by), else the OS account.
    /// </summary>
    public static string? UserNameOf(string? fromIde, Func<string, string?> environment, string? osUser) =>
        new[] { fromIde, environment("TRACEIDE_USER"), environment("MLFLOW_TRACKING_USERNAME"), osUser }
            .Select(n => n?.Trim())
            .FirstOrDefault(n => !string.IsNullOrEmpty(n));

    /// <summary>Starts indexing <paramref name="folders"/> in the background (replacing the previous index).</summary>
    public void UseWorkspaceFolders(IReadOnlyList<string> folders)
    {
        var index = new WorkspaceIndex(folders.Where(Path.IsPathFullyQualified));
        Workspace = index;
        index.StartBuilding();
        _ = index.BuildAsync(CancellationToken.None).ContinueWith(
            t => _log.Info(t.IsCompletedSuccessfully
                ? $"workspace index: {t.Result.Files:N0} files, {t.Result.Definitions:N0} definitions in {t.Result.Elapsed.TotalMilliseconds:N0} ms"
                : $"workspace index failed: {t.Exception?.GetBaseException().Message}"),
            CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Connects <paramref name="backend"/> (owned from now on) and makes it the session's backend; <paramref name="userName"/> is the IDE's
    /// (<see cref="UserNameOf"/>).</summary>
    public async Task<InitializeResult> InitializeAsync(ITraceBackend backend, string? clientName, CancellationToken cancellationToken, string? userName = null)
    {
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
        _live?.StopAll(); // their pollers read the backend being replaced
        _backend = backend;
        _traces = new TraceService(backend, _log);
        if (previous != null) await previous.DisposeAsync().ConfigureAwait(false);

        _initFailure = null;
        _log.Info($"connected to {backend.Kind} at {backend.DisplayLocation} (MLflow {info.MlflowVersion ?? "n/a"}) for {clientName ?? "unnamed client"}");
        _info = new InitializeResult
        {
            ServerName = "traceide",
            ServerVersion = HostInfo.Version,
            ProtocolVersion = ProtocolInfo.Version,
            BackendKind = backend.Kind,
            BackendLocation = backend.DisplayLocation,
            MlflowVersion = info.MlflowVersion,
            Capabilities = info.Capabilities,
            UserName = UserNameOf(userName, Environment, System.Environment.UserName),
        };
        return Info;
    }

    /// <summary>
    /// Initializes like <see cref="InitializeAsync"/>, but a backend failure is remembered instead of
    /// thrown: every later request answers with it (browser mode, where no client sends `initialize`).
    /// </summary>
    public async Task TryInitializeAsync(InitializeParams parameters, CancellationToken cancellationToken)
    {
        try
        {
            await InitializeAsync(parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (BackendException e)
        {
            _log.Warn($"backend not available for this connection ({e.Code}): {e.Message}");
            _initFailure = e;
        }
    }

    private BackendException NotInitialized() =>
        _initFailure ?? new(RpcErrorCodes.NotInitialized, "The host is not initialized: send `initialize` first.");

    public void Dispose()
    {
        _live?.Dispose();
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
