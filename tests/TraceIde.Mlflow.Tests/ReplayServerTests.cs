using System.Net;
using System.Net.Http.Headers;
using System.Text;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>The replay server itself answers like the recorded MLflow server.</summary>
public sealed class ReplayServerTests
{
    [Fact]
    public async Task Version_is_plain_text_from_the_recording()
    {
        await using var server = MlflowReplayServer.Start();
        using var http = new HttpClient();
        using var resp = await http.GetAsync(new Uri(server.BaseUri, "/version"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("3.11.2.dev0", await resp.Content.ReadAsStringAsync());
        Assert.Equal("text/html", resp.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Unknown_route_is_flask_html_404()
    {
        await using var server = MlflowReplayServer.Start();
        using var http = new HttpClient();
        using var resp = await http.GetAsync(new Uri(server.BaseUri, "/api/2.0/mlflow/no-such-route"));
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Equal("text/html", resp.Content.Headers.ContentType?.MediaType);
        Assert.Contains("404 Not Found", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Query_matches_as_an_order_insensitive_multimap()
    {
        await using var server = MlflowReplayServer.Start();
        using var http = new HttpClient();
        // Recorded as ?experiment_ids=1&max_results=3&order_by=timestamp_ms DESC
        using var resp = await http.GetAsync(new Uri(server.BaseUri, "/api/2.0/mlflow/traces?order_by=timestamp_ms%20DESC&max_results=3&experiment_ids=1"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("traces_search_v2.json", server.Requests.Single().MatchedRecording);

        using var extra = await http.GetAsync(new Uri(
            server.BaseUri,
            "/api/2.0/mlflow/traces?order_by=timestamp_ms%20DESC&max_results=3&experiment_ids=1&experiment_ids=2"));
        Assert.Equal(HttpStatusCode.NotFound, extra.StatusCode);
    }

    [Fact]
    public async Task Json_body_matches_semantically()
    {
        await using var server = MlflowReplayServer.Start();
        using var http = new HttpClient();
        // Same content as experiments_search__filter_order.json, other key order and spacing.
        var body = "{ \"order_by\" : [\"creation_time DESC\"], \"filter\": \"name LIKE 'genai-fixture-%'\", \"max_results\": 10 }";
        using var resp = await http.PostAsync(new Uri(server.BaseUri, "/api/2.0/mlflow/experiments/search"),
            new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, resp.StatusCode);
        Assert.Equal("experiments_search__filter_order.json", server.Requests.Single().MatchedRecording);

        using var other = await http.PostAsync(new Uri(server.BaseUri, "/api/2.0/mlflow/experiments/search"),
            new StringContent("{\"max_results\": 11}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task Recorded_error_is_answered_with_status_and_json()
    {
        await using var server = MlflowReplayServer.Start();
        using var http = new HttpClient();
        using var resp = await http.GetAsync(new Uri(server.BaseUri, "/api/3.0/mlflow/traces/" + TestSupport.UnknownTrace));
        Assert.Equal(HttpStatusCode.NotFound, resp.StatusCode);
        Assert.Contains("RESOURCE_DOES_NOT_EXIST", await resp.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Basic_auth_required_gives_401_with_challenge()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = ("alice", "pw") });
        using var http = new HttpClient();
        using var resp = await http.GetAsync(new Uri(server.BaseUri, "/version"));
        Assert.Equal(HttpStatusCode.Unauthorized, resp.StatusCode);
        Assert.Contains("Basic realm=\"mlflow\"", resp.Headers.WwwAuthenticate.ToString());
        Assert.Contains("not authenticated", await resp.Content.ReadAsStringAsync());

        using var health = await http.GetAsync(new Uri(server.BaseUri, "/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        using var req = new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "/version"));
        req.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:pw")));
        using var ok = await http.SendAsync(req);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Static_prefix_moves_every_route()
    {
        await using var server = MlflowReplayServer.Start(new MlflowReplayOptions { StaticPrefix = "/p" });
        Assert.EndsWith("/p", server.BaseUri.AbsoluteUri);
        using var http = new HttpClient();
        using var prefixed = await http.GetAsync($"http://127.0.0.1:{server.Port}/p/version");
        Assert.Equal(HttpStatusCode.OK, prefixed.StatusCode);
        using var bare = await http.GetAsync($"http://127.0.0.1:{server.Port}/version");
        Assert.Equal(HttpStatusCode.NotFound, bare.StatusCode);
    }

    [Fact]
    public async Task One_shot_override_then_normal_answers()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/version", ReplayFaults.Respond(503, "text/plain", "down"), times: 1);
        using var http = new HttpClient();
        using var first = await http.GetAsync($"http://127.0.0.1:{server.Port}/version");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        using var second = await http.GetAsync($"http://127.0.0.1:{server.Port}/version");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
    }

    [Fact]
    public async Task Close_mid_body_breaks_the_read()
    {
        await using var server = MlflowReplayServer.Start();
        server.Override("/version", ReplayFaults.CloseMidBody());
        using var http = new HttpClient();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var resp = await http.GetAsync($"http://127.0.0.1:{server.Port}/version");
            await resp.Content.ReadAsStringAsync();
        });
    }
}
