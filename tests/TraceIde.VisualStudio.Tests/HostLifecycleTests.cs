using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;
using TraceIde.VisualStudio.Core.Hosting;
using TraceIde.VisualStudio.Core.Relay;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Tests;

/// <summary>
/// The manager and the relay against the real `traceide serve` (traceide.dll in this test's output), on the
/// fixture server store: what the Visual Studio tool window does, minus Visual Studio and WebView2.
/// </summary>
public sealed class HostLifecycleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string Password = "pa55-VS-secret-e3b0c442";
    private const string Token = "tok-VS-secret-98fc1c14";

    private static string HostDll => Path.Combine(AppContext.BaseDirectory, "traceide.dll");
    private static string StoreDb => Path.Combine(Fixtures.ServerStore, "mlflow.db");

    private static HostStartInfo StartInfo(InitializeParams? initialize = null, int? parentPid = null) => new()
    {
        HostPath = HostDll,
        ParentPid = parentPid ?? Environment.ProcessId,
        Initialize = initialize ?? new InitializeParams { Store = StoreDb, ClientName = "TraceIde.VisualStudio.Tests" },
        Environment = new Dictionary<string, string>
        {
            ["MLFLOW_TRACKING_USERNAME"] = "vs-user",
            ["MLFLOW_TRACKING_PASSWORD"] = Password,
            ["MLFLOW_TRACKING_TOKEN"] = Token,
        },
    };

    private static RestartPolicy FastPolicy() => new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
        MaxConsecutiveFailures = 3,
    };

    private sealed class Window : IAsyncDisposable
    {
        public Window(Func<HostStartInfo> startInfo, RestartPolicy? policy = null)
        {
            Manager = new HostProcessManager(startInfo, policy ?? FastPolicy());
            Manager.HostStarted += pid => Started.Add(pid);
            Relay = new WebviewRelay(Manager, Navigator, null, Page.PostAsync);
        }

        public HostProcessManager Manager { get; }
        public FakeWebview Page { get; } = new();
        public FakeNavigator Navigator { get; } = new();
        public WebviewRelay Relay { get; }
        public BlockingCollection<int> Started { get; } = new();
        private int _nextId;

        /// <summary>Sends a request as the page does and returns the relay's `rpc-result` for it.</summary>
        public async Task<JsonObject> RequestAsync(string method, JsonNode? parameters)
        {
            var id = Interlocked.Increment(ref _nextId);
            await Relay.HandleMessageAsync(FakeWebview.Rpc(id, method, parameters)).WaitAsync(Timeout);
            var reply = Page.Posted.Select(p => JsonNode.Parse(p)!.AsObject()).Last(o => (int)o["id"]! == id);
            Assert.Equal("rpc-result", (string)reply["type"]!);
            return reply;
        }

        public async ValueTask DisposeAsync()
        {
            Relay.Dispose();
            await Manager.DisposeAsync().AsTask().WaitAsync(Timeout);
        }
    }

    private static JsonNode Result(JsonObject reply)
    {
        Assert.False(reply.ContainsKey("error"), reply.ToJsonString());
        return reply["result"]!;
    }

    private static JsonObject SearchParams() => new() { ["experimentIds"] = new JsonArray("1"), ["pageSize"] = 100 };

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    [Fact]
    public async Task A_relayed_traces_search_returns_the_43_traces_of_the_fixture_store()
    {
        await using var window = new Window(() => StartInfo());

        var page = Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()));
        Assert.Equal(43, page["traces"]!.AsArray().Count);

        var info = Result(await window.RequestAsync(RpcMethods.SessionInfo, null));
        Assert.Equal("localStore", (string)info["backendKind"]!);
        Assert.Equal("localStore", window.Manager.SessionInfo!.BackendKind);

        var experiments = Result(await window.RequestAsync(RpcMethods.ExperimentsList, new JsonObject()));
        Assert.Contains(experiments["experiments"]!.AsArray(), e => (string)e!["experimentId"]! == "1");

        // The page cannot re-initialise the host onto another backend: refused before the host.
        var refused = await window.RequestAsync(RpcMethods.Initialize, new JsonObject { ["trackingUri"] = "http://evil.example" });
        Assert.Equal(-32601, (int)refused["error"]!["code"]!);
        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);

        // Host errors arrive in the page's error shape.
        var notFound = await window.RequestAsync(RpcMethods.TracesGet, new JsonObject { ["traceId"] = "tr-00000000000000000000000000000000" });
        Assert.Equal(RpcErrorCodes.NotFound, (int)notFound["error"]!["code"]!);
        Assert.False(string.IsNullOrEmpty((string)notFound["error"]!["message"]!));
        Assert.Equal(1, window.Manager.StartCount);
    }

    [Fact]
    public async Task A_killed_host_is_restarted_and_the_next_relayed_request_succeeds()
    {
        await using var window = new Window(() => StartInfo());
        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
        var first = window.Started.Take(new CancellationTokenSource(Timeout).Token);

        using (var p = Process.GetProcessById(first)) p.Kill();

        var second = window.Started.Take(new CancellationTokenSource(Timeout).Token);
        Assert.NotEqual(first, second);
        Assert.False(IsRunning(first));
        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
        Assert.Equal(2, window.Manager.StartCount);
        Assert.Equal(second, window.Manager.CurrentPid);
    }

    [Fact]
    public async Task Disposing_the_manager_leaves_no_host_process()
    {
        var window = new Window(() => StartInfo());
        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
        var pid = window.Manager.CurrentPid!.Value;
        Assert.True(IsRunning(pid));

        await window.DisposeAsync();

        Assert.Equal([pid], window.Manager.StartedPids);
        Assert.False(IsRunning(pid));
        // A request after dispose is an error, and starts nothing.
        var late = await window.Manager.RequestAsync(RpcMethods.TracesSearch, SearchParams(), CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal(RpcError.ConnectionLost, late.Error!.Code);
        Assert.Equal(1, window.Manager.StartCount);
    }

    [Fact]
    public async Task Disposing_after_a_restart_leaves_none_of_the_hosts_it_started()
    {
        var window = new Window(() => StartInfo());
        await window.Manager.WaitUntilReadyAsync(CancellationToken.None).WaitAsync(Timeout);
        var first = window.Manager.CurrentPid!.Value;
        using (var p = Process.GetProcessById(first)) p.Kill();
        window.Started.Take(new CancellationTokenSource(Timeout).Token);
        window.Started.Take(new CancellationTokenSource(Timeout).Token);
        var second = window.Manager.CurrentPid!.Value;

        await window.DisposeAsync();

        Assert.Equal([first, second], window.Manager.StartedPids);
        Assert.False(IsRunning(first));
        Assert.False(IsRunning(second));
    }

    [Fact]
    public async Task The_host_exits_by_itself_when_the_IDE_process_dies()
    {
        // A stand-in for devenv.exe: the host watches it through --parent-pid.
        using var ide = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        await using var window = new Window(
            () => StartInfo(parentPid: ide.Id),
            new RestartPolicy { InitialDelay = TimeSpan.FromSeconds(30), MaxConsecutiveFailures = 1 });
        await window.Manager.WaitUntilReadyAsync(CancellationToken.None).WaitAsync(Timeout);
        var host = window.Manager.CurrentPid!.Value;

        ide.Kill();
        await ide.WaitForExitAsync();

        await Poll.UntilAsync(() => !IsRunning(host), "the host noticed its parent is gone", Timeout);
    }

    [Fact]
    public async Task An_unreachable_tracking_server_is_asked_again_until_it_answers_then_the_window_is_told()
    {
        // A port nothing listens on yet; the replay server (answering as the recorded MLflow does) comes up there later.
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var later = new InitializeParams { TrackingUri = $"http://127.0.0.1:{port}", ClientName = "tests" };
        await using var window = new Window(() => StartInfo(later));
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        window.Manager.BackendReconnected += () => reconnected.TrySetResult();
        var refused = await window.RequestAsync(RpcMethods.TracesSearch, SearchParams());
        Assert.Equal(RpcErrorCodes.Unreachable, (int)refused["error"]!["code"]!);
        var hostPid = window.Manager.CurrentPid;

        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { Port = port });
        await reconnected.Task.WaitAsync(Timeout);
        Assert.Null(window.Manager.InitializeError);
        Assert.Equal(hostPid, window.Manager.CurrentPid); // the same host, initialized again: no restart
        Assert.Equal(1, window.Manager.StartCount);
        var experiments = await window.RequestAsync(RpcMethods.ExperimentsList, new JsonObject());
        Assert.False(experiments.ContainsKey("error"), experiments.ToJsonString());
        Assert.NotEmpty(experiments["result"]!["experiments"]!.AsArray());
    }

    [Fact]
    public void Reconnect_waits_follow_the_contract_as_VS_Code_does()
    {
        var policy = new RestartPolicy();
        // hostProcess.ts: firstRestartDelayMs × 2^(attempt + 2), at most maxRestartDelayMs.
        Assert.Equal(TimeSpan.FromMilliseconds(HostSupervision.FirstRestartDelayMs * 4), policy.ReconnectDelay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(HostSupervision.FirstRestartDelayMs * 8), policy.ReconnectDelay(1));
        Assert.Equal(TimeSpan.FromMilliseconds(HostSupervision.MaxRestartDelayMs), policy.ReconnectDelay(20));
    }

    [Fact]
    public async Task No_message_to_the_page_contains_the_credentials_given_to_the_host()
    {
        // A tracking server that refuses connections: initialize fails with credentials in use.
        var unreachable = new InitializeParams { TrackingUri = "http://127.0.0.1:9", ClientName = "tests" };
        await using (var window = new Window(() => StartInfo(unreachable)))
        {
            var reply = await window.RequestAsync(RpcMethods.TracesSearch, SearchParams());
            Assert.True(reply.ContainsKey("error"), reply.ToJsonString());
            await window.RequestAsync(RpcMethods.SessionInfo, null);
            await window.RequestAsync(RpcMethods.ExperimentsList, new JsonObject());
            AssertNoSecrets(window.Page.Posted);
            Assert.NotNull(window.Manager.InitializeError);
        }

        await using (var window = new Window(() => StartInfo()))
        {
            foreach (var method in RpcMethods.UiCallable.Where(
                m => m is not RpcMethods.TracesDelete and not RpcMethods.TracesSetTag and not RpcMethods.TracesDeleteTag))
                await window.RequestAsync(
                    method,
                    new JsonObject { ["experimentIds"] = new JsonArray("1"), ["traceId"] = "tr-x", ["text"] = "**hi**", ["timeUnit"] = "day" });
            await window.RequestAsync(RpcMethods.Initialize, new JsonObject());
            await window.RequestAsync("traces/bogus", null);
            Assert.True(window.Page.Posted.Count >= RpcMethods.UiCallable.Count - 1);
            AssertNoSecrets(window.Page.Posted);
        }
    }

    private static void AssertNoSecrets(IEnumerable<string> messages)
    {
        foreach (var m in messages)
        {
            Assert.DoesNotContain(Password, m);
            Assert.DoesNotContain(Token, m);
        }
    }

    [Fact]
    public void The_restart_policy_is_the_contracts_HostSupervision_which_VS_Code_follows_too()
    {
        var policy = new RestartPolicy();
        Assert.Equal(TimeSpan.FromMilliseconds(TraceIde.Protocol.HostSupervision.FirstRestartDelayMs), policy.DelayFor(1));
        Assert.Equal(TimeSpan.FromMilliseconds(2 * TraceIde.Protocol.HostSupervision.FirstRestartDelayMs), policy.DelayFor(2));
        Assert.Equal(TimeSpan.FromMilliseconds(TraceIde.Protocol.HostSupervision.MaxRestartDelayMs), policy.DelayFor(20));
        Assert.Equal(TimeSpan.FromMilliseconds(TraceIde.Protocol.HostSupervision.StableAfterMs), policy.StableAfter);
        Assert.Equal(TraceIde.Protocol.HostSupervision.MaxDeathsInARow, policy.MaxConsecutiveFailures);
        Assert.Equal(TimeSpan.FromMilliseconds(TraceIde.Protocol.HostSupervision.InitializeTimeoutMs), policy.InitializeTimeout);
        // The TypeScript the VS Code extension reads holds the same numbers.
        var generated = File.ReadAllText(Path.Combine(TraceIde.Testing.Fixtures.RepoRoot, "webview", "src", "protocol.generated.ts"));
        Assert.Contains($"maxDeathsInARow: {TraceIde.Protocol.HostSupervision.MaxDeathsInARow},", generated);
        Assert.Contains($"initializeTimeoutMs: {TraceIde.Protocol.HostSupervision.InitializeTimeoutMs},", generated);
    }

    [Fact]
    public async Task A_host_that_keeps_dying_is_retried_with_backoff_then_reported()
    {
        var policy = new RestartPolicy { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200), MaxConsecutiveFailures = 2 };
        await using var window = new Window(() => new HostStartInfo { HostPath = Path.Combine(AppContext.BaseDirectory, "no-such-traceide.dll") }, policy);

        var reply = await window.RequestAsync(RpcMethods.TracesSearch, SearchParams());

        Assert.Equal(RpcError.ConnectionLost, (int)reply["error"]!["code"]!);
        Assert.Contains("not restarting", (string)reply["error"]!["message"]!);
        Assert.Equal(3, window.Manager.StartCount); // first start + 2 retries
        Assert.All(window.Manager.StartedPids, pid => Assert.False(IsRunning(pid)));
    }

    [Fact]
    public async Task A_host_that_dies_before_initialize_gives_way_to_the_fallback_at_once_and_for_good()
    {
        // What `dotnet` does with a host precompiled for another architecture: it exits before reading a byte.
        var dir = Directory.CreateTempSubdirectory("traceide-refused-");
        var refused = Path.Combine(dir.FullName, "traceide.dll");
        await File.WriteAllTextAsync(refused, "MZ not a .NET assembly for this machine");
        try
        {
            await using var window = new Window(() =>
            {
                var info = StartInfo();
                info.HostPath = refused;
                info.FallbackHostPath = HostDll;
                return info;
            });
            var log = new ConcurrentQueue<string>();
            window.Manager.Log += log.Enqueue;

            Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
            Assert.Equal(2, window.Manager.StartCount); // the refused host, then the fallback: no backoff, no give-up
            Assert.Contains($"the host {refused} did not start; using {HostDll} from now on", log);

            // A later crash restarts the fallback, not the refused host.
            var first = window.Manager.CurrentPid!.Value;
            Process.GetProcessById(first).Kill();
            window.Started.Take(new CancellationTokenSource(Timeout).Token);
            window.Started.Take(new CancellationTokenSource(Timeout).Token);
            Assert.Equal(3, window.Manager.StartCount);
            Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void The_self_contained_host_is_chosen_when_the_layout_has_it_with_a_portable_one_as_its_fallback()
    {
        var dir = Directory.CreateTempSubdirectory("traceide-vsix-");
        try
        {
            var portable = Path.Combine(dir.FullName, "host", "traceide.dll");
            var selfContained = Path.Combine(dir.FullName, "host", "win-x64", "traceide.exe");
            Directory.CreateDirectory(Path.GetDirectoryName(selfContained)!);
            File.WriteAllText(portable, "");
            Assert.Equal((portable, (string?)null), HostLayout.Resolve(dir.FullName));
            File.WriteAllText(selfContained, "");
            Assert.Equal((selfContained, portable), HostLayout.Resolve(dir.FullName));
            File.Delete(portable); // the VSIX: the self-contained host only
            Assert.Equal((selfContained, (string?)null), HostLayout.Resolve(dir.FullName));

            // The .exe is started as itself, the .dll under dotnet.
            var exe = new HostStartInfo { HostPath = selfContained, DotnetPath = "C:\\dotnet\\dotnet.exe", ParentPid = 7 };
            Assert.Equal(selfContained, exe.FileName);
            Assert.Equal(["serve", "--parent-pid", "7"], exe.Arguments());
            var dll = new HostStartInfo { HostPath = portable, DotnetPath = "C:\\dotnet\\dotnet.exe", ParentPid = 7 };
            Assert.Equal("C:\\dotnet\\dotnet.exe", dll.FileName);
            Assert.Equal([portable, "serve", "--parent-pid", "7"], dll.Arguments());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task After_giving_up_RestartAsync_starts_again_with_the_new_start_info()
    {
        var policy = new RestartPolicy { InitialDelay = TimeSpan.FromMilliseconds(50), MaxDelay = TimeSpan.FromMilliseconds(200), MaxConsecutiveFailures = 1 };
        var dll = Path.Combine(AppContext.BaseDirectory, "no-such-traceide.dll");
        await using var window = new Window(() => new HostStartInfo { HostPath = dll, Initialize = new InitializeParams { Store = StoreDb } }, policy);
        Assert.Equal(RpcError.ConnectionLost, (int)(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["error"]!["code"]!);

        dll = HostDll; // the options were fixed
        await window.Manager.RestartAsync().WaitAsync(Timeout);

        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
    }

    [Fact]
    public async Task RestartAsync_replaces_a_running_host()
    {
        await using var window = new Window(() => StartInfo());
        await window.Manager.WaitUntilReadyAsync(CancellationToken.None).WaitAsync(Timeout);
        var first = window.Manager.CurrentPid!.Value;

        await window.Manager.RestartAsync().WaitAsync(Timeout);

        window.Started.Take(new CancellationTokenSource(Timeout).Token);
        var second = window.Started.Take(new CancellationTokenSource(Timeout).Token);
        Assert.NotEqual(first, second);
        Assert.Equal(43, Result(await window.RequestAsync(RpcMethods.TracesSearch, SearchParams()))["traces"]!.AsArray().Count);
        await Poll.UntilAsync(() => !IsRunning(first), "the replaced host is gone", Timeout);
    }
}
