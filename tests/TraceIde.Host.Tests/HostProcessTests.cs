using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>The host's lifecycle as a contract, over its real pipes (Roslyn LSP style).</summary>
public sealed class HostProcessTests
{
    private static object InitLocal() => new { store = Path.Combine(Fixtures.ServerStore, "mlflow.db"), clientName = "tests" };

    [Fact]
    public async Task Initialize_reports_versions_backend_and_capabilities()
    {
        await using var host = HostProcess.Start();
        var result = JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));

        Assert.Equal(ProtocolInfo.Version, (string)result["protocolVersion"]!);
        Assert.Equal("traceide", (string)result["serverName"]!);
        Assert.False(string.IsNullOrEmpty((string?)result["serverVersion"]));
        Assert.Equal(BackendKinds.LocalStore, (string)result["backendKind"]!);
        Assert.EndsWith("mlflow.db", (string)result["backendLocation"]!);
        Assert.True((bool)result["capabilities"]!["searchV3"]!);
        Assert.Equal(0, host.StrayStdoutBytes);
    }

    [Fact]
    public async Task Requests_before_initialize_get_a_clear_error_and_the_host_lives_on()
    {
        await using var host = HostProcess.Start();
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", new { experimentIds = new[] { "1" } }));
        Assert.Equal(RpcErrorCodes.NotInitialized, code);
        Assert.Contains("initialize", message);
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
    }

    [Fact]
    public async Task Search_pages_through_all_43_fixture_traces_with_38_ok_and_5_errors()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));

        var ids = new List<string>();
        var states = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = JsonRpcAssert.Result(await host.RequestAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 10, pageToken = token }));
            foreach (var t in page["traces"]!.AsArray())
            {
                ids.Add((string)t!["traceId"]!);
                states.Add((string)t["state"]!);
            }
            token = (string?)page["nextPageToken"];
            pages++;
        } while (token != null && pages < 20);

        Assert.Equal(43, ids.Distinct().Count());
        Assert.Equal(43, ids.Count);
        Assert.Equal(38, states.Count(s => s == "OK"));
        Assert.Equal(5, states.Count(s => s == "ERROR"));
    }

    [Fact]
    public async Task Get_builds_the_500_span_tree_of_batch_digest()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        var traceId = FixtureCases.ServerTraceId("batch-digest-500");

        var trace = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId }));
        var spans = trace["spans"]!.AsArray();
        Assert.Equal(500, spans.Count);
        Assert.Equal(0, (int)spans[0]!["depth"]!);
        Assert.Null(spans[0]!["parentSpanId"]);
        Assert.Equal(2, spans.Max(s => (int)s!["depth"]!)); // three levels
        Assert.Equal(traceId, (string)trace["info"]!["traceId"]!);
        Assert.True((bool)trace["payloadsIncluded"]!);
    }

    /// <summary>
    /// A first screenful, then the rest (what the viewer does for a big trace): the first answer is the head of the
    /// full one, says how many spans there are, and the rest is the same as a fresh read.
    /// </summary>
    [Fact]
    public async Task MaxSpans_sends_the_head_of_the_tree_and_the_next_request_the_whole()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        var traceId = FixtureCases.ServerTraceId("batch-digest-500");

        var first = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId, maxSpans = 40 }));
        var rest = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId }));
        var fresh = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId }));

        Assert.Equal(40, first["spans"]!.AsArray().Count);
        Assert.Equal(500, (int)first["totalSpans"]!);
        Assert.True((bool)first["payloadsIncluded"]!); // decided on the whole trace, as for the rest
        Assert.Equal(500, (int)rest["totalSpans"]!);
        Assert.Equal(fresh.ToJsonString(), rest.ToJsonString());
        Assert.Equal(
            fresh["spans"]!.AsArray().Take(40).Select(s => s!.ToJsonString()),
            first["spans"]!.AsArray().Select(s => s!.ToJsonString()));
        Assert.Equal(fresh["info"]!.ToJsonString(), first["info"]!.ToJsonString());

        // A limit above the size sends everything; a limit below 1 is refused.
        var all = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId, maxSpans = 500 }));
        Assert.Equal(fresh.ToJsonString(), all.ToJsonString());
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/get", new { traceId, maxSpans = 0 }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("maxSpans", message);
    }

    [Fact]
    public async Task A_trace_without_payloads_gets_them_per_span_on_demand()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        var traceId = FixtureCases.ServerTraceId("s2-order-t1");

        var trace = JsonRpcAssert.Result(await host.RequestAsync("traces/get", new { traceId, includePayloads = false }));
        Assert.False((bool)trace["payloadsIncluded"]!);
        var spans = trace["spans"]!.AsArray();
        Assert.All(spans, s => Assert.Null(s!["payload"]));
        var failed = spans.First(s => (string)s!["status"]! == "ERROR")!;
        var root = spans[0]!;

        var ids = new[] { (string)root["spanId"]!, (string)failed["spanId"]! };
        var payloads = JsonRpcAssert.Result(await host.RequestAsync("spans/get", new { traceId, spanIds = ids }))["payloads"]!;
        Assert.NotNull(payloads[ids[0]]!["inputs"]!["messages"]);
        var exception = payloads[ids[1]]!["events"]!.AsArray().Single(e => (string)e!["name"]! == "exception")!;
        Assert.Contains("OrderNotFoundError", (string)exception["attributes"]!["exception.type"]!);

        var (code, _) = JsonRpcAssert.Error(await host.RequestAsync("spans/get", new { traceId, spanIds = new[] { "0000000000000000" } }));
        Assert.Equal(RpcErrorCodes.NotFound, code);
    }

    [Fact]
    public async Task Unknown_method_is_32601_and_the_host_lives_on()
    {
        await using var host = HostProcess.Start();
        var (code, _) = JsonRpcAssert.Error(await host.RequestAsync("no/such/method", new { }));
        Assert.Equal(-32601, code);
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
    }

    [Fact]
    public async Task Garbage_bytes_and_broken_frames_do_not_kill_the_host()
    {
        await using var host = HostProcess.Start();
        await host.SendRawAsync(Encoding.UTF8.GetBytes("this is not a frame\r\n\r\n\u0000\u0001\u00ff garbage"));
        await host.SendRawAsync(HostProcess.Frame(Encoding.UTF8.GetBytes("{ not json at all")));
        await host.SendRawAsync(Encoding.ASCII.GetBytes("Content-Length: banana\r\n\r\n"));
        await host.SendRawAsync(HostProcess.Frame(Encoding.UTF8.GetBytes("42")));
        await host.SendRawAsync(HostProcess.Frame(Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":[1,2,3]}")));

        var result = JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        Assert.Equal(BackendKinds.LocalStore, (string)result["backendKind"]!);
        Assert.False(host.HasExited);
        Assert.Contains("dropped", host.Stderr);
    }

    [Fact]
    public async Task Shutdown_then_exit_ends_the_process_with_code_0()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        await host.RequestAsync("shutdown");
        await host.NotifyAsync("exit");
        Assert.Equal(0, await host.WaitForExitAsync());
    }

    [Fact]
    public async Task Exit_without_shutdown_ends_the_process_with_code_1()
    {
        await using var host = HostProcess.Start();
        await host.NotifyAsync("exit");
        Assert.Equal(1, await host.WaitForExitAsync());
    }

    [Fact]
    public async Task Closing_stdin_ends_the_process()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        host.CloseStdin();
        await host.WaitForExitAsync();
        Assert.True(host.HasExited);
    }

    [Fact]
    public async Task The_host_exits_when_its_parent_process_dies()
    {
        using var parent = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        await using var host = HostProcess.Start(null, "--parent-pid", parent.Id.ToString());
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));
        parent.Kill();
        await parent.WaitForExitAsync();
        await host.WaitForExitAsync(TimeSpan.FromSeconds(15));
        Assert.Contains("parent process", host.Stderr);
    }

    [Fact]
    public async Task Markdown_render_is_sanitised()
    {
        await using var host = HostProcess.Start();
        var html = (string)JsonRpcAssert.Result(await host.RequestAsync("markdown/render",
            new { text = "# Title\n\n<script>alert(1)</script> [x](javascript:alert(1)) **bold**" }))["html"]!;
        Assert.Contains("<h1", html);
        Assert.Contains("<strong>bold</strong>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Invalid_filter_and_page_size_are_clear_errors()
    {
        await using var host = HostProcess.Start();
        JsonRpcAssert.Result(await host.RequestAsync("initialize", InitLocal()));

        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", new { experimentIds = new[] { "1" }, filter = "foo.bar = 'x'" }));
        Assert.Equal(RpcErrorCodes.InvalidFilter, code);
        Assert.Contains("foo", message);

        (code, message) = JsonRpcAssert.Error(await host.RequestAsync("traces/search", new { experimentIds = new[] { "1" }, pageSize = 501 }));
        Assert.Equal(RpcErrorCodes.InvalidParams, code);
        Assert.Contains("500", message);

        (code, _) = JsonRpcAssert.Error(await host.RequestAsync("traces/get", new { traceId = "tr-00000000000000000000000000000000" }));
        Assert.Equal(RpcErrorCodes.NotFound, code);
    }

    [Fact]
    public async Task A_missing_store_is_a_not_found_error_naming_the_path()
    {
        await using var host = HostProcess.Start();
        var (code, message) = JsonRpcAssert.Error(await host.RequestAsync("initialize", new { store = "/nonexistent/dir/mlflow.db" }));
        Assert.Equal(RpcErrorCodes.NotFound, code);
        Assert.Contains("/nonexistent/dir", message);
        Assert.False(host.HasExited);
    }
}
