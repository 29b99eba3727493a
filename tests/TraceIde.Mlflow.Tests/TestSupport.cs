using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using TraceIde.Backends.Mlflow;
using TraceIde.Core.Backends;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

internal static class TestSupport
{
    public const string ParisT1 = "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4";
    public const string BatchDigest500 = "tr-aa52338cda224408bebee3d66a76039d";
    public const string DeepNesting = "tr-1495e917c0db785344c92add15a9235b";
    public const string MultiTool = "tr-0911287f5ee3b86f1baabad9adaa3a83";
    public const string UnknownTrace = "tr-00000000000000000000000000000000";

    public static MlflowRestBackend Backend(MlflowReplayServer server, Func<MlflowBackendOptions, MlflowBackendOptions>? configure = null)
    {
        var options = new MlflowBackendOptions { TrackingUri = server.BaseUri, Timeout = TimeSpan.FromSeconds(20) };
        return new MlflowRestBackend(configure?.Invoke(options) ?? options);
    }

    /// <summary>A backend whose every request is answered 200 with <paramref name="body"/> (no retries): for parser tests.</summary>
    public static MlflowRestBackend BackendAnswering(byte[] body) =>
        new(new MlflowBackendOptions { TrackingUri = new Uri("http://127.0.0.1:9/"), Retry = MlflowRetryPolicy.None }, new FixedAnswer(body));

    /// <summary>
    /// Counts the requests the backend sends, per path, on the client's side: once a call has returned, no attempt
    /// of it can still be on its way, so "sent once" is a fact to assert, not a wait for a server to record it.
    /// </summary>
    public sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _sent = new(StringComparer.Ordinal);

        public int Sent(string path) => _sent.GetValueOrDefault(path);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            _sent.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }
    }

    private sealed class FixedAnswer(byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content, RequestMessage = request });
        }
    }

    /// <summary>A loopback port nobody listens on.</summary>
    public static int ClosedPort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static JsonElement Json(string text)
    {
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }
}
