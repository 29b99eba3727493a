using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using TraceIde.Backends.LocalStore;
using TraceIde.Core.Backends;
using TraceIde.Core.Live;
using TraceIde.Core.Spans;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// traces/window and the watermark poller behind traces/subscribe, against copies of the fixture store
/// that the tests append to in MLflow's schema; expected answers are read from the same store with SQL.
/// </summary>
public sealed class LiveTracesTests
{
    private const string Ok = "OK", Error = "ERROR", Running = "IN_PROGRESS";

    /// <summary>
    /// The property: whatever the order in which traces arrive (request times up to the lateness bound in the
    /// past) and whenever running traces finish (also long after they fell under the floor), every trace is
    /// reported, never twice in the same state, the last report is the stored final state, and the poller
    /// remembers only the lateness window plus the running traces.
    /// </summary>
    [Fact]
    public async Task The_poller_reports_every_trace_once_per_state_with_out_of_order_arrivals_and_late_finishes()
    {
        const long lateness = 20_000;
        for (var seed = 1; seed <= 12; seed++)
        {
            using var store = new AppendableStore();
            var fixture = store.Timestamps();
            var since = fixture[fixture.Count / 2]; // half of the fixture's own traces are in the subscription
            var clock = new ManualClock(fixture[^1] + 60_000);
            var rng = new Random(seed);
            await using var backend = new LocalStoreBackend(store.DbPath);
            var poller = new TraceWatermarkPoller(backend, ["1"], null, since, lateness, clock);

            var reports = new Dictionary<string, List<(string State, long? Duration)>>();
            var versions = store.Rows(since).ToDictionary(kv => kv.Key, kv => new List<(string, long?)> { (kv.Value.Status, kv.Value.DurationMs) });
            var running = new List<string>();

            async Task PollAsync()
            {
                foreach (var t in await poller.PollAsync(CancellationToken.None))
                {
                    if (!reports.TryGetValue(t.TraceId, out var list)) reports[t.TraceId] = list = [];
                    list.Add((t.State, t.DurationMs));
                }
                // Memory: only traces at or above the floor, plus running ones, are remembered.
                var aboveFloor = store.Rows(poller.FloorMs).Count;
                Assert.True(poller.TrackedCount <= aboveFloor + poller.InProgressCount,
                    $"seed {seed}: {poller.TrackedCount} tracked > {aboveFloor} above the floor + {poller.InProgressCount} running");
            }

            for (var step = 0; step < 40; step++)
            {
                clock.Advance(rng.Next(200, 1500));
                for (var k = rng.Next(0, 4); k > 0; k--)
                {
                    var id = AppendableStore.NewTraceId();
                    // Out of order: stamped with a request time up to the bound (less one poll) in the past.
                    var ts = clock.NowMs - rng.Next(0, (int)lateness - 2_000);
                    var roll = rng.NextDouble();
                    var (status, duration) = roll < 0.35 ? (Running, (long?)null) : roll < 0.5 ? (Error, rng.Next(1, 5000)) : (Ok, rng.Next(1, 5000));
                    store.Insert(id, ts, status, duration);
                    versions[id] = [(status, duration)];
                    if (status == Running) running.Add(id);
                }
                foreach (var id in running.Where(_ => rng.NextDouble() < 0.15).ToArray())
                {
                    var (status, duration) = (rng.NextDouble() < 0.3 ? Error : Ok, (long)rng.Next(1, 60_000));
                    store.Finish(id, status, duration);
                    versions[id].Add((status, duration));
                    running.Remove(id);
                }
                await PollAsync();
                if (rng.NextDouble() < 0.2) await PollAsync(); // a poll with nothing new reports nothing again
            }
            foreach (var id in running)
            {
                store.Finish(id, Ok, 123_456);
                versions[id].Add((Ok, 123_456));
            }
            clock.Advance(lateness * 3);
            await PollAsync();
            await PollAsync();

            var final = store.Rows(since);
            Assert.Equal(final.Keys.Order(), reports.Keys.Order());
            foreach (var (id, list) in reports)
            {
                Assert.Equal((final[id].Status, final[id].DurationMs), list[^1]);
                for (var i = 1; i < list.Count; i++) Assert.NotEqual(list[i - 1], list[i]);
                Assert.All(list, r => Assert.Contains(r, versions[id]));
                Assert.True(list.Count <= versions[id].Count, $"seed {seed}: {id} reported {list.Count} times for {versions[id].Count} versions");
            }
            Assert.Equal(0, poller.InProgressCount);
            Assert.Contains(versions, v => v.Value.Count == 2); // the run did exercise running traces that finished later
        }
    }

    [Fact]
    public async Task A_trace_later_than_the_bound_is_the_documented_miss_and_one_within_it_is_found()
    {
        using var store = new AppendableStore();
        var clock = new ManualClock(store.Timestamps()[^1] + 60_000);
        await using var backend = new LocalStoreBackend(store.DbPath);
        var poller = new TraceWatermarkPoller(backend, ["1"], null, clock.NowMs - 1000, latenessMs: 10_000, clock);
        Assert.Empty(await poller.PollAsync(CancellationToken.None));

        var newest = AppendableStore.NewTraceId();
        store.Insert(newest, clock.NowMs, Ok, 10);
        Assert.Equal([newest], (await poller.PollAsync(CancellationToken.None)).Select(t => t.TraceId));
        clock.Advance(30_000);
        var within = AppendableStore.NewTraceId();
        var beyond = AppendableStore.NewTraceId();
        store.Insert(within, clock.NowMs - 29_000, Ok, 10); // 1 s after the newest seen: inside the window
        store.Insert(beyond, clock.NowMs - 30_000 - 10_001, Ok, 10); // more than the bound before the newest seen
        Assert.Equal([within], (await poller.PollAsync(CancellationToken.None)).Select(t => t.TraceId));
    }

    /// <summary>
    /// A running trace followed below the floor is re-read with the subscription's filter: it is reported when
    /// it finishes only if it still matches, as the search would decide.
    /// </summary>
    [Fact]
    public async Task A_followed_running_trace_is_reported_on_finishing_only_while_it_matches_the_filter()
    {
        using var store = new AppendableStore();
        var clock = new ManualClock(store.Timestamps()[^1] + 60_000);
        await using var backend = new LocalStoreBackend(store.DbPath);
        var since = clock.NowMs - 1000;
        var runningOnly = new TraceWatermarkPoller(backend, ["1"], "trace.status = 'IN_PROGRESS'", since, latenessMs: 5_000, clock);
        var byName = new TraceWatermarkPoller(backend, ["1"], "trace.name = 'watched'", since, latenessMs: 5_000, clock);
        var unfiltered = new TraceWatermarkPoller(backend, ["1"], null, since, latenessMs: 5_000, clock);

        var id = AppendableStore.NewTraceId();
        store.Insert(id, clock.NowMs, Running, null, name: "watched");
        foreach (var poller in new[] { runningOnly, byName, unfiltered })
            Assert.Equal([(id, Running)], (await poller.PollAsync(CancellationToken.None)).Select(t => (t.TraceId, t.State)));

        // Newer traces each poller sees move every floor past the running one; then it finishes.
        clock.Advance(20_000);
        store.Insert(AppendableStore.NewTraceId(), clock.NowMs, Ok, 5, name: "watched");
        store.Insert(AppendableStore.NewTraceId(), clock.NowMs, Running, null, name: "other");
        foreach (var poller in new[] { runningOnly, byName, unfiltered })
        {
            await poller.PollAsync(CancellationToken.None);
            Assert.True(poller.FloorMs > store.Rows(since)[id].TimestampMs);
        }
        Assert.Equal(2, runningOnly.InProgressCount);
        store.Finish(id, Ok, 1234);

        Assert.DoesNotContain(id, (await runningOnly.PollAsync(CancellationToken.None)).Select(t => t.TraceId));
        Assert.Equal(1, runningOnly.InProgressCount); // no longer matching: no longer followed (the "other" one still is)
        Assert.Equal([(id, Ok)], (await byName.PollAsync(CancellationToken.None)).Select(t => (t.TraceId, t.State)));
        Assert.Equal([(id, Ok)], (await unfiltered.PollAsync(CancellationToken.None)).Select(t => (t.TraceId, t.State)));
    }

    [Fact]
    public async Task The_window_returns_exactly_the_stored_traces_in_range_oldest_first_with_counts()
    {
        using var store = new AppendableStore();
        var ts = store.Timestamps();
        var (start, end) = (ts[5], ts[30]);
        var running = AppendableStore.NewTraceId();
        store.Insert(running, ts[10] + 1, Running, null);
        await using var backend = new LocalStoreBackend(store.DbPath);

        var result = await TraceWindow.ReadAsync(
            backend,
            new TracesWindowParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end },
            CancellationToken.None);

        var expected = store.Rows(start, end);
        Assert.Equal(expected.Keys.Order(), result.Traces.Select(t => t.TraceId).Order());
        Assert.Equal(result.Traces.Select(t => t.RequestTimeMs).Order(), result.Traces.Select(t => t.RequestTimeMs));
        Assert.Equal(expected.Values.Count(v => v.Status == Error), result.ErrorCount);
        Assert.Equal(1, result.InProgressCount);
        Assert.False(result.Truncated);
        Assert.InRange(result.ErrorCount, 1, result.Traces.Count); // the fixture's range holds errors: the count is exercised

        var errorsOnly = await TraceWindow.ReadAsync(
            backend,
            new TracesWindowParams { ExperimentIds = ["1"], StartTimeMs = start, EndTimeMs = end, Filter = "trace.status = 'ERROR'" },
            CancellationToken.None);
        Assert.Equal(result.ErrorCount, errorsOnly.Traces.Count);

        var bad = await Assert.ThrowsAsync<BackendException>(() => TraceWindow.ReadAsync(
            backend,
            new TracesWindowParams { ExperimentIds = ["1"], StartTimeMs = end, EndTimeMs = start },
            CancellationToken.None));
        Assert.Equal(RpcErrorCodes.InvalidParams, bad.Code);
    }

    [Fact]
    public async Task A_window_larger_than_the_bound_is_truncated_to_the_oldest()
    {
        using var store = new AppendableStore();
        var t0 = store.Timestamps()[^1] + 1000;
        for (var i = 0; i < LiveLimits.MaxWindowTraces + 5; i++) store.Insert(AppendableStore.NewTraceId(), t0 + i, Ok, 1);
        await using var backend = new LocalStoreBackend(store.DbPath);
        var result = await TraceWindow.ReadAsync(
            backend,
            new TracesWindowParams { ExperimentIds = ["1"], StartTimeMs = t0, EndTimeMs = t0 + 10_000 },
            CancellationToken.None);
        Assert.True(result.Truncated);
        Assert.Equal(LiveLimits.MaxWindowTraces, result.Traces.Count);
        Assert.Equal(t0 + LiveLimits.MaxWindowTraces - 1, result.Traces[^1].RequestTimeMs);
    }

    [Fact]
    public async Task A_failing_backend_is_reported_and_the_subscription_catches_up_when_it_recovers()
    {
        using var store = new AppendableStore();
        var since = store.Timestamps()[^3];
        await using var inner = new LocalStoreBackend(store.DbPath);
        var flaky = new FlakyBackend(inner) { FailuresLeft = 2 };
        var sent = new ConcurrentQueue<TracesChangedParams>();
        using var subscriptions = new TraceSubscriptions((_, a) => { sent.Enqueue((TracesChangedParams)a); return Task.CompletedTask; }, HostLog.Null);

        var id = subscriptions.Subscribe(
            flaky,
            new TracesSubscribeParams { ExperimentIds = ["1"], SinceMs = since, PollIntervalMs = LiveLimits.MinPollIntervalMs });

        await Poll.UntilAsync(() => sent.Any(m => m.Traces.Count > 0), "traces were pushed");
        var messages = sent.ToArray();
        Assert.Equal(2, messages.Count(m => m.Error != null));
        Assert.All(messages.Where(m => m.Error != null), m => Assert.Equal(RpcErrorCodes.Unreachable, m.Error!.Code));
        Assert.Equal(store.Rows(since).Keys.Order(), messages.SelectMany(m => m.Traces).Select(t => t.TraceId).Order());
        Assert.All(messages, m => Assert.Equal(id, m.SubscriptionId));

        // A witness subscription on the same store: once it reports the new trace, a poll has seen it, and the
        // unsubscribed one, had it still run, would have too (no sleep and hope).
        var latest = store.Timestamps()[^1];
        var witness = subscriptions.Subscribe(
            inner,
            new TracesSubscribeParams { ExperimentIds = ["1"], SinceMs = latest + 1, PollIntervalMs = LiveLimits.MinPollIntervalMs });
        Assert.True(subscriptions.Unsubscribe(id));
        Assert.Equal(1, subscriptions.Count);
        var fresh = AppendableStore.NewTraceId();
        store.Insert(fresh, latest + 2, Ok, 5);
        await Poll.UntilAsync(() => sent.Any(m => m.SubscriptionId == witness && m.Traces.Any(t => t.TraceId == fresh)), "the witness saw the fresh trace");
        Assert.DoesNotContain(sent, m => m.SubscriptionId == id && m.Traces.Any(t => t.TraceId == fresh)); // stopped: not reported
        Assert.True(subscriptions.Unsubscribe(witness));
        Assert.Equal(0, subscriptions.Count);
    }

    [Fact]
    public async Task A_first_poll_that_finds_thousands_is_sent_as_bounded_messages_oldest_first()
    {
        using var store = new AppendableStore();
        var t0 = store.Timestamps()[^1] + 1000;
        const int count = 2 * LiveLimits.MaxTracesPerNotification + 7;
        for (var i = 0; i < count; i++) store.Insert(AppendableStore.NewTraceId(), t0 + i, Ok, 1);
        await using var backend = new LocalStoreBackend(store.DbPath);
        var sent = new ConcurrentQueue<TracesChangedParams>();
        using var subscriptions = new TraceSubscriptions((_, a) => { sent.Enqueue((TracesChangedParams)a); return Task.CompletedTask; }, HostLog.Null);

        var id = subscriptions.Subscribe(
            backend,
            new TracesSubscribeParams { ExperimentIds = ["1"], SinceMs = t0, PollIntervalMs = LiveLimits.MinPollIntervalMs });
        await Poll.UntilAsync(() => sent.Sum(m => m.Traces.Count) >= count, count + " traces were pushed");
        subscriptions.Unsubscribe(id);

        var messages = sent.ToArray();
        Assert.Equal([LiveLimits.MaxTracesPerNotification, LiveLimits.MaxTracesPerNotification, 7], messages.Select(m => m.Traces.Count));
        var times = messages.SelectMany(m => m.Traces).Select(t => t.RequestTimeMs).ToList();
        Assert.Equal(Enumerable.Range(0, count).Select(i => t0 + i), times);
    }

    [Fact]
    public void Bad_subscriptions_are_refused_with_the_reason()
    {
        using var subscriptions = new TraceSubscriptions((_, _) => Task.CompletedTask, HostLog.Null);
        var backend = new LocalStoreBackend(Path.Combine(Fixtures.ServerStore, "mlflow.db"));
        Assert.Equal(RpcErrorCodes.InvalidFilter, Assert.Throws<BackendException>(() => subscriptions.Subscribe(
            backend,
            new TracesSubscribeParams { ExperimentIds = ["1"], Filter = "trace.status = " })).Code);
        Assert.Equal(
            RpcErrorCodes.InvalidParams,
            Assert.Throws<BackendException>(() => subscriptions.Subscribe(backend, new TracesSubscribeParams { ExperimentIds = [] })).Code);
        Assert.Contains("pollIntervalMs", Assert.Throws<BackendException>(() => subscriptions.Subscribe(
            backend,
            new TracesSubscribeParams { ExperimentIds = ["1"], PollIntervalMs = 1 })).Message);
        Assert.Equal(0, subscriptions.Count);
    }

    /// <summary>The three methods through the host's JSON-RPC server (what `traceide serve` runs), notifications included.</summary>
    [Fact]
    public async Task Window_subscribe_changed_and_unsubscribe_through_the_json_rpc_server()
    {
        using var store = new AppendableStore();
        var ts = store.Timestamps();
        await using var host = InProcessHost.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", new { store = store.DbPath, clientName = "tests" }));

        var window = JsonRpcAssert.Result(await host.RequestAsync(
            RpcMethods.TracesWindow,
            new { experimentIds = new[] { "1" }, startTimeMs = ts[0], endTimeMs = ts[9] }));
        var expected = store.Rows(ts[0], ts[9]);
        Assert.Equal(expected.Keys.Order(), window["traces"]!.AsArray().Select(t => (string)t!["traceId"]!).Order());
        Assert.Equal(expected.Values.Count(v => v.Status == Error), (int?)window["errorCount"] ?? 0);

        var since = ts[^1] + 1;
        var sub = JsonRpcAssert.Result(await host.RequestAsync(
            RpcMethods.TracesSubscribe,
            new { experimentIds = new[] { "1" }, sinceMs = since, pollIntervalMs = 200 }));
        var subscriptionId = (string)sub["subscriptionId"]!;

        var running = AppendableStore.NewTraceId();
        store.Insert(running, since + 10, Running, null);
        var first = await NextChangeAsync(host, subscriptionId, running);
        Assert.Equal(Running, (string)first["state"]!);
        Assert.Null(first["durationMs"]);

        store.Finish(running, Error, 4321);
        var second = await NextChangeAsync(host, subscriptionId, running);
        Assert.Equal(Error, (string)second["state"]!);
        Assert.Equal(4321, (long)second["durationMs"]!);

        // A witness subscription: when it reports the next trace, the host has polled since the insert.
        var witness = (string)JsonRpcAssert.Result(await host.RequestAsync(
            RpcMethods.TracesSubscribe,
            new { experimentIds = new[] { "1" }, sinceMs = since + 15, pollIntervalMs = 200 }))["subscriptionId"]!;
        JsonRpcAssert.Result(await host.RequestAsync(RpcMethods.TracesUnsubscribe, new { subscriptionId }));
        var after = AppendableStore.NewTraceId();
        store.Insert(after, since + 20, Ok, 5);
        await NextChangeAsync(host, witness, after);
        Assert.DoesNotContain(ChangedTraces(host, subscriptionId), t => (string)t["traceId"]! == after);
        Assert.Equal(2, ChangedTraces(host, subscriptionId).Count(t => (string)t["traceId"]! == running)); // once per state

        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync(
            RpcMethods.TracesSubscribe,
            new { experimentIds = new[] { "1" }, filter = "trace.nope = 1" }));
        Assert.Equal(RpcErrorCodes.InvalidFilter, code);
        Assert.False(string.IsNullOrEmpty(message));
        Assert.Equal(0, host.StrayStdoutBytes);
    }

    private static IEnumerable<JsonNode> ChangedTraces(HostConnection host, string subscriptionId) =>
        host.Notifications
            .Where(n => (string?)n["method"] == RpcMethods.TracesChanged && (string?)n["params"]?["subscriptionId"] == subscriptionId)
            .SelectMany(n => n["params"]!["traces"]?.AsArray() ?? [])
            .Select(t => t!);

    private static async Task<JsonNode> NextChangeAsync(HostConnection host, string subscriptionId, string traceId)
    {
        var seen = ChangedTraces(host, subscriptionId).Count(t => (string)t["traceId"]! == traceId);
        JsonNode? found = null;
        await Poll.UntilAsync(() => (found = ChangedTraces(host, subscriptionId)
            .Where(t => (string)t["traceId"]! == traceId)
            .Skip(seen)
            .FirstOrDefault()) != null, "the host pushed the change of " + traceId);
        return found!;
    }

    /// <summary>The real store behind a backend that is unreachable for its first searches.</summary>
    private sealed class FlakyBackend(ITraceBackend inner) : DelegatingBackend(inner)
    {
        public int FailuresLeft;
        public override Task<TracePage> SearchTracesAsync(TraceQuery q, CancellationToken ct) =>
            Interlocked.Decrement(ref FailuresLeft) >= 0
                ? throw new BackendException(RpcErrorCodes.Unreachable, "Cannot reach the tracking server: is `mlflow server` running?")
                : base.SearchTracesAsync(q, ct);
    }
}
