using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using TraceIde.VisualStudio.Core.Relay;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Tests;

/// <summary>An <see cref="IHostRpc"/> that records what reached it and answers from a script.</summary>
public sealed class FakeHost : IHostRpc
{
    public ConcurrentQueue<(string Method, JsonNode? Params)> Calls { get; } = new();
    public Func<string, JsonNode?, CancellationToken, Task<RpcOutcome>> Answer { get; set; } =
        (method, _, _) => Task.FromResult(RpcOutcome.Success(new JsonObject { ["echo"] = method }));

    public Task<RpcOutcome> RequestAsync(string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        Calls.Enqueue((method, parameters?.DeepClone()));
        return Answer(method, parameters, cancellationToken);
    }
}

public sealed class FakeNavigator : INavigator
{
    public List<(string Path, int Line, int? Column)> Opened { get; } = [];
    public bool Exists { get; set; } = true;
    /// <summary>The files <see cref="FileExists"/> knows (none unless a test says).</summary>
    public HashSet<string> Files { get; } = new(StringComparer.Ordinal);

    public bool FileExists(string path) => Files.Contains(path);

    public Task<bool> OpenFileAsync(string path, int line, int? column, CancellationToken cancellationToken)
    {
        lock (Opened) Opened.Add((path, line, column));
        return Task.FromResult(Exists);
    }

    public Task OpenTextAsync(string text, string fileName, string language, CancellationToken cancellationToken) =>
        throw new NotSupportedException("no test of this navigator opens text");
}

public sealed class FakeClipboard : IClipboard
{
    public string? Text { get; private set; }
    public Task SetTextAsync(string text, CancellationToken cancellationToken)
    {
        Text = text;
        return Task.CompletedTask;
    }
}

/// <summary>The page side: what the relay posted, parsed.</summary>
public sealed class FakeWebview
{
    public ConcurrentQueue<string> Posted { get; } = new();
    public Task PostAsync(string json)
    {
        Posted.Enqueue(json);
        return Task.CompletedTask;
    }

    public static string Rpc(object id, string method, JsonNode? parameters = null) =>
        new JsonObject
        {
            ["type"] = "rpc",
            ["id"] = JsonValue.Create(id) is { } v ? JsonNode.Parse(v.ToJsonString()) : null,
            ["method"] = method,
            ["params"] = parameters
        }.ToJsonString();

    public static string Cancel(object id) =>
        new JsonObject { ["type"] = "rpc-cancel", ["id"] = JsonNode.Parse(JsonValue.Create(id)!.ToJsonString()) }.ToJsonString();

    public JsonObject Single()
    {
        Assert.Single(Posted);
        return JsonNode.Parse(Posted.First())!.AsObject();
    }
}
