using System.Collections.Concurrent;
using System.Security.Cryptography;
using TraceIde.Core.Backends;
using TraceIde.Core.Live;
using TraceIde.Host.Logging;
using TraceIde.Protocol;

namespace TraceIde.Host.Services;

/// <summary>
/// The connection's `traces/subscribe` subscriptions: one <see cref="TraceWatermarkPoller"/> loop each,
/// sending `traces/changed` when a poll finds something. A failing poll is reported (with
/// <see cref="TracesChangedParams.Error"/>) and retried with backoff; the loop ends only with
/// unsubscribe, shutdown, a backend change, or a connection that no longer takes notifications.
/// </summary>
public sealed class TraceSubscriptions : IDisposable
{
    /// <summary>Backoff after failures doubles from the poll interval up to this.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Func<string, object, Task> _notify;
    private readonly HostLog _log;
    private readonly TimeProvider _clock;
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);

    /// <param name="notify">Sends a host → client notification.</param>
    public TraceSubscriptions(Func<string, object, Task> notify, HostLog log, TimeProvider? clock = null)
    {
        _notify = notify;
        _log = log;
        _clock = clock ?? TimeProvider.System;
    }

    public int Count => _subscriptions.Count;

    /// <summary>Validates, starts polling <paramref name="backend"/> and returns the subscription's ID. The first poll runs at once.</summary>
    public string Subscribe(ITraceBackend backend, TracesSubscribeParams p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var interval = p.PollIntervalMs ?? LiveLimits.DefaultPollIntervalMs;
        if (interval is < LiveLimits.MinPollIntervalMs or > LiveLimits.MaxPollIntervalMs)
            throw new BackendException(RpcErrorCodes.InvalidParams,
                $"pollIntervalMs must be between {LiveLimits.MinPollIntervalMs} and {LiveLimits.MaxPollIntervalMs} (was {interval}).");
        var lateness = p.LatenessMs ?? LiveLimits.DefaultLatenessMs;
        if (lateness is < 0 or > LiveLimits.MaxLatenessMs)
            throw new BackendException(RpcErrorCodes.InvalidParams, $"latenessMs must be between 0 and {LiveLimits.MaxLatenessMs} (was {lateness}).");
        if (_subscriptions.Count >= LiveLimits.MaxSubscriptions)
            throw new BackendException(RpcErrorCodes.InvalidParams,
                $"This connection already has {LiveLimits.MaxSubscriptions} subscriptions; unsubscribe from one first.");

        var since = p.SinceMs ?? _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var poller = new TraceWatermarkPoller(backend, p.ExperimentIds, p.Filter, since, lateness, _clock); // throws on a bad filter
        var id = "sub-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var subscription = new Subscription(id, poller, TimeSpan.FromMilliseconds(interval));
        _subscriptions[id] = subscription;
        subscription.Loop = Task.Run(() => RunAsync(subscription));
        _log.Info($"subscription {id} started: experiments {string.Join(",", p.ExperimentIds)}, since {since}, every {interval} ms");
        return id;
    }

    /// <summary>Stops a subscription; false when there was none with that ID (it may have ended already).</summary>
    public bool Unsubscribe(string subscriptionId)
    {
        if (!_subscriptions.TryRemove(subscriptionId, out var s)) return false;
        s.Stop.Cancel();
        _log.Info($"subscription {subscriptionId} stopped");
        return true;
    }

    /// <summary>Stops every subscription (shutdown, a new backend, the connection's end).</summary>
    public void StopAll()
    {
        foreach (var id in _subscriptions.Keys.ToArray()) Unsubscribe(id);
    }

    private async Task RunAsync(Subscription s)
    {
        var ct = s.Stop.Token;
        var delay = s.Interval;
        while (!ct.IsCancellationRequested)
        {
            List<TracesChangedParams> messages = [];
            try
            {
                // A first poll from far back can find thousands: several bounded messages, oldest first.
                var changed = await s.Poller.PollAsync(ct).ConfigureAwait(false);
                foreach (var chunk in changed.Chunk(LiveLimits.MaxTracesPerNotification))
                    messages.Add(new TracesChangedParams { SubscriptionId = s.Id, Traces = chunk });
                delay = s.Interval;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The poller's state is intact (a failed poll changes nothing), so the next poll catches up.
                var error = e is BackendException be
                    ? new LiveError(be.Code, be.Message)
                    : new LiveError(RpcErrorCodes.ServerError, "Polling for new traces failed; see the host log.");
                if (e is not BackendException) _log.Warn($"subscription {s.Id}: {e}");
                delay = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, delay.Ticks * 2));
                _log.Warn($"subscription {s.Id}: poll failed ({error.Code}), next try in {delay.TotalMilliseconds:0} ms: {error.Message}");
                messages.Add(new TracesChangedParams { SubscriptionId = s.Id, Error = error });
            }

            if (messages.Count > 0 && !ct.IsCancellationRequested)
            {
                try
                {
                    foreach (var message in messages) await _notify(RpcMethods.TracesChanged, message).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    _log.Info($"subscription {s.Id} ended: the client no longer takes notifications ({e.GetBaseException().Message})");
                    Unsubscribe(s.Id);
                    break;
                }
            }

            try
            {
                await Task.Delay(delay, _clock, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    public void Dispose() => StopAll();

    private sealed class Subscription(string id, TraceWatermarkPoller poller, TimeSpan interval)
    {
        public string Id { get; } = id;
        public TraceWatermarkPoller Poller { get; } = poller;
        public TimeSpan Interval { get; } = interval;
        public CancellationTokenSource Stop { get; } = new();
        public Task Loop { get; set; } = Task.CompletedTask;
    }
}
