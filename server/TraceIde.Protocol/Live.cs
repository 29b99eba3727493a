// Live traces: "the traces your code just made". A time window (a notebook cell, a debug session, a
// terminal command) and subscriptions to new or changed traces, general for every IDE client.
// Kept apart from Contract.cs so that additions elsewhere merge cleanly.
namespace TraceIde.Protocol;

public static partial class RpcMethods
{
    /// <summary>Every trace whose request time falls in [startTimeMs, endTimeMs] (all pages, bounded), with counts.</summary>
    public const string TracesWindow = "traces/window";
    /// <summary>Starts a watermark poller for new and changed traces; the host sends <see cref="TracesChanged"/>.</summary>
    public const string TracesSubscribe = "traces/subscribe";
    /// <summary>Stops a subscription (unknown IDs are ignored: it may already have ended).</summary>
    public const string TracesUnsubscribe = "traces/unsubscribe";
    /// <summary>Host → client notification: new traces and in-progress traces whose state or duration changed.</summary>
    public const string TracesChanged = "traces/changed";
}

public static class LiveLimits
{
    /// <summary>traces/window returns at most this many traces (oldest first) and says when it stopped there.</summary>
    public const int MaxWindowTraces = 1000;
    public const int DefaultPollIntervalMs = 1000;
    public const int MinPollIntervalMs = 200;
    public const int MaxPollIntervalMs = 60_000;
    /// <summary>
    /// How late (after the newest request time seen) a trace may become visible and still be reported.
    /// MLflow writes a trace when it ends, stamped with its request (start) time, so this must cover the
    /// longest trace plus the export delay.
    /// </summary>
    public const int DefaultLatenessMs = 300_000;
    public const int MaxLatenessMs = 3_600_000;
    /// <summary>traces/changed carries at most this many traces; more found by one poll go in several messages.</summary>
    public const int MaxTracesPerNotification = 500;
    /// <summary>Subscriptions one connection may hold at once.</summary>
    public const int MaxSubscriptions = 32;
}

public sealed record TracesWindowParams
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    /// <summary>Inclusive, ms since the epoch, compared with the trace's request time (`timestamp_ms`).</summary>
    public long StartTimeMs { get; init; }
    /// <summary>Inclusive.</summary>
    public long EndTimeMs { get; init; }
    /// <summary>An MLflow filter string (docs/mlflow-notes.md#search-grammar), ANDed with the window.</summary>
    public string? Filter { get; init; }
}

public sealed record TracesWindowResult
{
    /// <summary>Oldest first.</summary>
    public required IReadOnlyList<TraceSummary> Traces { get; init; }
    public int ErrorCount { get; init; }
    public int InProgressCount { get; init; }
    /// <summary>True when the window holds more than <see cref="LiveLimits.MaxWindowTraces"/> traces (only the oldest are returned).</summary>
    public bool Truncated { get; init; }
}

public sealed record TracesSubscribeParams
{
    public required IReadOnlyList<string> ExperimentIds { get; init; }
    public string? Filter { get; init; }
    /// <summary>Report traces whose request time is at or after this; default: now (host clock).</summary>
    public long? SinceMs { get; init; }
    /// <summary><see cref="LiveLimits.MinPollIntervalMs"/>..<see cref="LiveLimits.MaxPollIntervalMs"/>, default
    /// <see cref="LiveLimits.DefaultPollIntervalMs"/>.</summary>
    public int? PollIntervalMs { get; init; }
    /// <summary>0..<see cref="LiveLimits.MaxLatenessMs"/>, default <see cref="LiveLimits.DefaultLatenessMs"/>.</summary>
    public int? LatenessMs { get; init; }
}

public sealed record TracesSubscribeResult(string SubscriptionId);

public sealed record TracesUnsubscribeParams
{
    public required string SubscriptionId { get; init; }
}

/// <summary>`traces/changed`: what one poll found, or why it failed (the poller keeps going, backing off).</summary>
public sealed record TracesChangedParams
{
    public required string SubscriptionId { get; init; }
    /// <summary>New traces and traces whose state or duration changed since last reported; oldest first.</summary>
    public IReadOnlyList<TraceSummary> Traces { get; init; } = [];
    /// <summary>Set when the poll failed; the next try is after a backoff.</summary>
    public LiveError? Error { get; init; }
}

public sealed record LiveError(int Code, string Message);
