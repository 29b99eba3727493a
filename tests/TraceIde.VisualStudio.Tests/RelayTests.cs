extern alias protocol;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.VisualStudio.Core.Relay;
using TraceIde.VisualStudio.Core.Rpc;
using HostContract = protocol::TraceIde.Protocol;

namespace TraceIde.VisualStudio.Tests;

public sealed class RelayTests
{
    private readonly FakeHost _host = new();
    private readonly FakeNavigator _navigator = new();
    private readonly FakeClipboard _clipboard = new();
    private readonly FakeWebview _page = new();
    private readonly WebviewRelay _relay;

    public RelayTests() => _relay = new WebviewRelay(_host, _navigator, _clipboard, _page.PostAsync);

    public static TheoryData<string> UiCallable() => new(RpcMethods.UiCallable);

    [Fact]
    public void The_allow_list_is_the_host_contracts_UiCallable_list()
    {
        // Core compiles the contract's source; the host ships its assembly. Same list, same order.
        Assert.Equal(HostContract.RpcMethods.UiCallable, RpcMethods.UiCallable);
        Assert.Equal(RpcMethods.UiCallable.OrderBy(m => m), WebviewRelay.AllowedHostMethods.OrderBy(m => m));
        Assert.DoesNotContain(RpcMethods.Initialize, WebviewRelay.AllowedHostMethods);
    }

    [Theory]
    [MemberData(nameof(UiCallable))]
    public async Task Every_ui_callable_method_reaches_the_host_with_its_params_and_the_result_comes_back(string method)
    {
        await _relay.HandleMessageAsync(FakeWebview.Rpc(7, method, new JsonObject { ["experimentIds"] = new JsonArray("1") }));

        var (called, parameters) = Assert.Single(_host.Calls);
        Assert.Equal(method, called);
        Assert.Equal("1", (string)parameters!["experimentIds"]![0]!);
        var reply = _page.Single();
        Assert.Equal("rpc-result", (string)reply["type"]!);
        Assert.Equal(7, (int)reply["id"]!);
        Assert.Equal(method, (string)reply["result"]!["echo"]!);
        Assert.False(reply.ContainsKey("error"));
    }

    [Theory]
    [InlineData("initialize")]
    [InlineData("shutdown")]
    [InlineData("exit")]
    [InlineData("$/cancelRequest")]
    [InlineData("traces/nonexistent")]
    [InlineData("source/locate")]
    [InlineData("Traces/Search")]
    [InlineData("")]
    public async Task Lifecycle_and_unknown_methods_are_refused_with_32601_and_never_reach_the_host(string method)
    {
        await _relay.HandleMessageAsync(FakeWebview.Rpc(3, method, new JsonObject { ["trackingUri"] = "http://evil.example" }));

        Assert.Empty(_host.Calls);
        var error = _page.Single()["error"]!;
        Assert.Equal(-32601, (int)error["code"]!);
        Assert.Contains("cannot be called", (string)error["message"]!);
    }

    [Fact]
    public async Task Host_errors_pass_through_as_code_message_and_data()
    {
        _host.Answer = (_, _, _) => Task.FromResult(RpcOutcome.Failure(new RpcError(RpcErrorCodes.InvalidFilter,
            "Bad filter: foo.bar", new JsonObject { ["kind"] = "invalidFilter", ["httpStatus"] = 400 })));

        await _relay.HandleMessageAsync(FakeWebview.Rpc("a-1", RpcMethods.TracesSearch, new JsonObject()));

        var reply = _page.Single();
        Assert.Equal("a-1", (string)reply["id"]!);
        Assert.False(reply.ContainsKey("result"));
        var error = reply["error"]!.AsObject();
        Assert.Equal(RpcErrorCodes.InvalidFilter, (int)error["code"]!);
        Assert.Equal("Bad filter: foo.bar", (string)error["message"]!);
        Assert.Equal("invalidFilter", (string)error["data"]!["kind"]!);
        Assert.Equal(400, (int)error["data"]!["httpStatus"]!);
    }

    [Fact]
    public async Task An_exception_in_the_host_client_becomes_an_internal_error_not_a_crash()
    {
        _host.Answer = (_, _, _) => throw new InvalidOperationException("boom");
        await _relay.HandleMessageAsync(FakeWebview.Rpc(1, RpcMethods.TracesGet, new JsonObject()));
        var error = _page.Single()["error"]!;
        Assert.Equal(RpcError.InternalError, (int)error["code"]!);
        Assert.Contains("boom", (string)error["message"]!);
    }

    [Fact]
    public void Malformed_error_objects_are_normalised()
    {
        Assert.Equal(RpcError.InternalError, RpcError.FromJson(JsonValue.Create("x")).Code);
        var e = RpcError.FromJson(new JsonObject { ["code"] = -32004 });
        Assert.Equal(-32004, e.Code);
        Assert.False(string.IsNullOrEmpty(e.Message));
        Assert.False(e.ToJson().ContainsKey("data"));
    }

    [Fact]
    public async Task Cancel_from_the_page_cancels_the_host_request_and_posts_no_answer()
    {
        var started = new TaskCompletionSource();
        var cancelledSeen = new TaskCompletionSource();
        _host.Answer = async (_, _, ct) =>
        {
            started.SetResult();
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { cancelledSeen.SetResult(); }
            return RpcOutcome.Failure(RpcError.Cancelled());
        };

        var pending = _relay.HandleMessageAsync(FakeWebview.Rpc(42, RpcMethods.OverviewUsage, new JsonObject()));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await _relay.HandleMessageAsync(FakeWebview.Cancel(42));
        await cancelledSeen.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await pending.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Empty(_page.Posted);
    }

    [Fact]
    public async Task After_a_reload_an_answer_the_old_page_waited_for_does_not_reach_the_new_page()
    {
        var release = new TaskCompletionSource();
        _host.Answer = async (method, _, _) =>
        {
            if (method == RpcMethods.TracesGet) await release.Task; // the old page's slow request, not cancellable
            return RpcOutcome.Success(new JsonObject { ["echo"] = method });
        };
        var old = _relay.HandleMessageAsync(FakeWebview.Rpc(1, RpcMethods.TracesGet, new JsonObject { ["traceId"] = "tr-1" }));
        _relay.PageReloading();
        await _relay.HandleMessageAsync(FakeWebview.Rpc(1, RpcMethods.ExperimentsList, new JsonObject()));
        release.SetResult();
        await old.WaitAsync(TimeSpan.FromSeconds(10));

        var answer = _page.Single();
        Assert.Equal(RpcMethods.ExperimentsList, (string?)answer["result"]!["echo"]); // only the new page's id 1
    }

    [Fact]
    public async Task Cancel_of_an_unknown_id_is_ignored()
    {
        await _relay.HandleMessageAsync(FakeWebview.Cancel(999));
        Assert.Empty(_page.Posted);
        Assert.Empty(_host.Calls);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"type\":\"state\",\"id\":1}")]
    [InlineData("{\"type\":\"rpc\",\"method\":\"traces/search\"}")]
    public async Task Messages_that_are_not_requests_are_ignored(string json)
    {
        await _relay.HandleMessageAsync(json);
        Assert.Empty(_page.Posted);
        Assert.Empty(_host.Calls);
    }

    [Fact]
    public async Task A_request_without_a_method_is_an_invalid_request()
    {
        await _relay.HandleMessageAsync("{\"type\":\"rpc\",\"id\":4}");
        Assert.Equal(RpcError.InvalidRequest, (int)_page.Single()["error"]!["code"]!);
    }
}
