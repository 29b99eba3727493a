namespace TraceIde.Backends.Mlflow;

/// <summary>How to reach an MLflow tracking server.</summary>
public sealed record MlflowBackendOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Tracking URI; a path is the server's static prefix (http://host:5000/p). User info, if any, is used as basic credentials and never
    /// shown.</summary>
    public required Uri TrackingUri { get; init; }
    /// <summary>Basic auth user (MLFLOW_TRACKING_USERNAME). Basic wins over <see cref="Token"/> when both are set.</summary>
    public string? Username { get; init; }
    public string? Password { get; init; }
    /// <summary>Bearer token (MLFLOW_TRACKING_TOKEN).</summary>
    public string? Token { get; init; }
    /// <summary>Sent as X-MLFLOW-WORKSPACE on every request.</summary>
    public string? Workspace { get; init; }
    /// <summary>Per attempt (including reading the body). Default 30 s; MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) in the environment.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;
    /// <summary>Which failures are sent again, how often and how long apart.</summary>
    public MlflowRetryPolicy Retry { get; init; } = MlflowRetryPolicy.Default;
    /// <summary>
    /// A trace whose JSON is at least this big (MLflow's <c>mlflow.trace.sizeStats</c>, when a search or an info
    /// read has shown it) is opened through the artifact route, not traces/get: traces/get answers the same
    /// spans as OTel JSON about three times the size, which MLflow renders span by span. Below it the one
    /// request of traces/get wins. Default 1 MB.
    /// </summary>
    public long ArtifactRouteFromBytes { get; init; } = 1_000_000;

    /// <summary>
    /// Credentials from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD / MLFLOW_TRACKING_TOKEN; the
    /// timeout and retries from MLflow's own client variables MLFLOW_HTTP_REQUEST_TIMEOUT (seconds) and
    /// MLFLOW_HTTP_REQUEST_MAX_RETRIES (our defaults stay 30 s and 2 retries when they are unset).
    /// </summary>
    public static MlflowBackendOptions FromEnvironment(Uri trackingUri, string? workspace, Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
        return new MlflowBackendOptions
        {
            TrackingUri = trackingUri,
            Username = NullIfEmpty(getEnv("MLFLOW_TRACKING_USERNAME")),
            Password = NullIfEmpty(getEnv("MLFLOW_TRACKING_PASSWORD")),
            Token = NullIfEmpty(getEnv("MLFLOW_TRACKING_TOKEN")),
            Workspace = NullIfEmpty(workspace),
            Timeout = double.TryParse(getEnv("MLFLOW_HTTP_REQUEST_TIMEOUT"), System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds <= 3600
                ? TimeSpan.FromSeconds(seconds)
                : DefaultTimeout,
            Retry = MlflowRetryPolicy.Default.WithEnvironment(getEnv),
        };
    }
}
