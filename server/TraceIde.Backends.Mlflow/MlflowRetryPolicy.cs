using System.Globalization;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// When <see cref="MlflowRestBackend"/> sends a request again. Only requests that cannot change the
/// server are retried on an answer: GETs and the read-only POSTs (experiments/search, traces/search,
/// traces/metrics — MLflow's own client treats them as reads). They are retried on 429 (after the
/// server's Retry-After), 500/502/503/504 and a refused connection — but not on a 500 that says the
/// request cannot be served that way (spans not in the tracking store, a RecursionError rendering them,
/// FEATURE_DISABLED…: the same answer every time) — with exponential backoff and
/// jitter, at most <see cref="MaxAttempts"/> times and never past <see cref="MaxTotal"/>. Writes
/// (delete-traces, set/delete tag) are retried only when the connection was refused, i.e. when the
/// request certainly never reached the server. Timeouts and broken bodies are not retried: a slow
/// server is not made slower, and a server that answers garbage answers it again.
/// </summary>
public sealed record MlflowRetryPolicy
{
    public static readonly MlflowRetryPolicy Default = new();

    /// <summary>Send once, never again.</summary>
    public static readonly MlflowRetryPolicy None = new() { MaxAttempts = 1 };

    /// <summary>Attempts in all, the first included (MLFLOW_HTTP_REQUEST_MAX_RETRIES + 1). Default 3.</summary>
    public int MaxAttempts { get; init; } = 3;
    /// <summary>The first backoff; doubles per retry. Default 250 ms.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>No single backoff is longer. Default 4 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(4);
    /// <summary>A Retry-After longer than this is not waited for: the request fails with the server's wait in the message. Default 10 s.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>No retry is sent later than this after the first attempt began (each attempt still has its own timeout). Default 20 s.</summary>
    public TimeSpan MaxTotal { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// The wait before retry number <paramref name="retry"/> (1-based): "equal jitter" — half of
    /// min(MaxDelay, BaseDelay·2^(retry−1)) fixed, the other half random, so clients that failed
    /// together do not come back together, and no retry is immediate.
    /// </summary>
    public TimeSpan Backoff(int retry, double random01)
    {
        var exp = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1)));
        return TimeSpan.FromMilliseconds(exp / 2 + Math.Clamp(random01, 0, 1) * exp / 2);
    }

    /// <summary>The policy with MLflow's own client settings from the environment (MLFLOW_HTTP_REQUEST_MAX_RETRIES), else this one.</summary>
    public MlflowRetryPolicy WithEnvironment(Func<string, string?> getEnv)
    {
        var retries = getEnv("MLFLOW_HTTP_REQUEST_MAX_RETRIES");
        return int.TryParse(retries, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? this with { MaxAttempts = Math.Min(n, 20) + 1 }
            : this;
    }
}
