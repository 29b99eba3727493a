using System.Text;
using TraceIde.Testing;

namespace TraceIde.Mcp.Tests;

/// <summary>
/// Credentials come from the environment and never come out: `traceide mcp` on a tracking server that needs basic
/// auth, given the password in its environment and another one in the tracking URI, answers the tools — and
/// neither secret (nor the basic-auth value) is in any answer, error or line of its stderr, even when it is refused.
/// </summary>
public sealed class McpCredentialTests
{
    private const string User = "alice";
    private const string Password = "Pw-mcp-7c1d-SECRET";
    private const string UriPassword = "UriPw-mcp-93ab-SECRET";

    [Fact]
    public async Task No_secret_in_any_answer_or_the_log()
    {
        var secrets = new[] { Password, UriPassword, Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)) };
        var env = new Dictionary<string, string?> { ["MLFLOW_TRACKING_USERNAME"] = User, ["MLFLOW_TRACKING_PASSWORD"] = Password };
        var texts = new List<string>();

        await using (var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = (User, Password) }))
        {
            await using var host = await McpHost.StartAsync(["--tracking-uri", server.BaseUri.ToString(), "--verbose"], env);
            var experiments = await host.CallAsync("list_experiments");
            Assert.False(experiments.IsError, experiments.Text);
            texts.Add(experiments.Text);
            var trace = await host.CallAsync("get_trace", new { traceId = FixtureCases.ServerTraceId("s1-paris-t1") });
            Assert.False(trace.IsError, trace.Text);
            texts.Add(trace.Text);
            texts.Add((await host.CallAsync("get_trace", new { traceId = "tr-00000000000000000000000000000000" })).Text);
            texts.Add(host.Stderr);
        }

        // The wrong password (the one in the URI wins over none, and the server refuses it): a clear error, no secret.
        await using (var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = (User, Password) }))
        {
            var uri = new UriBuilder(server.BaseUri) { UserName = User, Password = UriPassword }.Uri.ToString();
            await using var host = await McpHost.StartAsync(["--tracking-uri", uri]);
            var refused = await host.CallAsync("search_traces", new { experimentIds = new[] { "1" } });
            Assert.True(refused.IsError, refused.Text);
            Assert.Contains("unauthorized", refused.Text, StringComparison.OrdinalIgnoreCase);
            texts.Add(refused.Text);
            texts.Add((await host.CallAsync("list_experiments")).Text);
            texts.Add(host.Stderr);
        }

        foreach (var text in texts)
        {
            foreach (var secret in secrets) Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }
    }
}
