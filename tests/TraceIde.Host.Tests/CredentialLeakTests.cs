using System.Text;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>
/// Credentials never reach the log or a client: the real host, given a password and a token in its
/// environment (and a password in the tracking URI), is driven through every kind of failure — including
/// a server that echoes the credentials back — and then its whole stderr, its log file and every
/// response it sent are searched for each secret and the basic-auth header value.
/// </summary>
public sealed class CredentialLeakTests
{
    private const string User = "alice";
    private const string Password = "Pw-9f3c2e71-SECRET";
    private const string Token = "Tok-5d1e88aa-SECRET";
    private const string UriPassword = "UriPw-44b0-SECRET";
    private const string SearchPath = "/api/3.0/mlflow/traces/search";

    [Fact]
    public async Task No_secret_in_the_log_file_stderr_or_any_response_after_every_kind_of_failure()
    {
        var basicValue = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        var secrets = new[] { Password, Token, UriPassword, basicValue };
        var logFile = Path.Combine(Path.GetTempPath(), $"traceide-leak-{Guid.NewGuid():N}.log");
        var responses = new List<JsonObject>();
        try
        {
            var server = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = (User, Password), BearerToken = Token });
            await using var host = HostProcess.Start(new Dictionary<string, string?>
            {
                ["MLFLOW_TRACKING_USERNAME"] = User,
                ["MLFLOW_TRACKING_PASSWORD"] = Password,
                ["MLFLOW_TRACKING_TOKEN"] = Token,
                ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "4", // short for the slow-server case, not so short that a cold start on a busy machine trips it
                ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "1",
            }, "--log-file", logFile, "--verbose");

            async Task<JsonObject> Send(string method, object? p)
            {
                var r = await host.RequestAsync(method, p);
                responses.Add(r);
                return r;
            }

            // The URI's user info is the credentials' other way in; the environment's win (basic from env).
            var withUserInfo = $"http://{User}:{UriPassword}@127.0.0.1:{server.Port}/";
            JsonRpcAssert.Result(await Send("initialize", new { trackingUri = withUserInfo }));
            var search = new { experimentIds = new[] { "1" }, pageSize = 100 };
            JsonRpcAssert.Result(await Send("traces/search", search));

            // A server (or proxy) that echoes the credentials in its error, in every form.
            var echo = $"denied: Authorization: Basic {basicValue}; raw basic {basicValue}; password {Password}; bearer {Token}";
            server.Override(SearchPath, ReplayFaults.MlflowError(500, "INTERNAL_ERROR", echo));
            Assert.Equal(RpcErrorCodes.ServerError, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.Override(SearchPath, ReplayFaults.Respond(403, "text/plain", echo));
            Assert.Equal(RpcErrorCodes.Forbidden, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.Override(
                SearchPath,
                ReplayFaults.Respond(400, "application/json", $"{{\"error_code\":\"INVALID_PARAMETER_VALUE\",\"message\":\"{echo}\"}}"));
            Assert.Equal(RpcErrorCodes.InvalidFilter, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.Override(SearchPath, ReplayFaults.HtmlError(502));
            Assert.Equal(RpcErrorCodes.ServerError, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.Override(SearchPath, ReplayFaults.TruncatedJson(echo));
            Assert.Equal(RpcErrorCodes.BadResponse, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.Override(SearchPath, ReplayFaults.Delay(TimeSpan.FromSeconds(10)));
            Assert.Equal(RpcErrorCodes.Unreachable, JsonRpcAssert.Error(await Send("traces/search", search)).Code);
            server.RemoveOverride(SearchPath);
            Assert.Equal(RpcErrorCodes.NotFound, JsonRpcAssert.Error(await Send("traces/get", new { traceId = "tr-00000000000000000000000000000000" })).Code);
            Assert.Equal(
                RpcErrorCodes.InvalidFilter,
                JsonRpcAssert.Error(await Send("traces/search", new { experimentIds = new[] { "1" }, filter = $"tag.x = '{Password}' AND AND" })).Code);

            // And the server gone.
            await server.DisposeAsync();
            Assert.Equal(RpcErrorCodes.Unreachable, JsonRpcAssert.Error(await Send("traces/search", search)).Code);

            // A new host whose credentials are wrong: the 401 path.
            var wrongServer = MlflowReplayServer.Start(new MlflowReplayOptions { BasicAuth = (User, "another-password") });
            await using (wrongServer)
            {
                var r = await Send("initialize", new { trackingUri = wrongServer.BaseUri.ToString() });
                // A second initialize on one session is refused or re-initializes; either way no secret.
                _ = r;
            }

            await host.RequestAsync("shutdown");
            await host.NotifyAsync("exit");
            await host.WaitForExitAsync();

            var log = await File.ReadAllTextAsync(logFile);
            Assert.Contains("traces/search failed", log); // the failures were logged, so the search below means something
            Assert.Contains("traces/search failed", host.Stderr);
            // Out of reach is a warning, a filter the server refused is routine.
            Assert.Matches(@"WARN +traces/search failed \(-32001\)", log);
            Assert.Matches(@"INFO +traces/search failed \(-32005\)", log);
            foreach (var secret in secrets)
            {
                Assert.DoesNotContain(secret, log);
                Assert.DoesNotContain(secret, host.Stderr);
                foreach (var response in responses) Assert.DoesNotContain(secret, response.ToJsonString());
            }
            // The echoed text itself arrived redacted, not dropped: the client still learns what the server said.
            Assert.Contains(responses, r => r.ToJsonString().Contains("denied: Authorization: Basic ***", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(logFile);
        }
    }
}
