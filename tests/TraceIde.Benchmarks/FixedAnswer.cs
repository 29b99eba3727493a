using System.Net;

namespace TraceIde.Benchmarks;

/// <summary>Answers every request 200 with the bytes <paramref name="body"/> gives: the REST backend's work without the network.</summary>
internal sealed class FixedAnswer(Func<byte[]> body) : HttpMessageHandler
{
    public FixedAnswer(byte[] body) : this(() => body)
    {
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var content = new ByteArrayContent(body());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
    }
}
