using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TraceIde.Host.Tests;

/// <summary>
/// The real `traceide serve` process, started as an IDE starts it (dotnet traceide.dll serve), spoken
/// to over its real stdin/stdout with hand-written Content-Length frames — no StreamJsonRpc on this
/// side, so the wire format itself is under test. Every wait has a timeout.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _readLoop;
    private long _nextId;

    private HostProcess(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _readLoop = Task.Run(ReadLoopAsync);
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Notifications the host sent, in order.</summary>
    public ConcurrentQueue<JsonObject> Notifications { get; } = new();

    /// <summary>Bytes on stdout that were not a well-formed frame (must stay empty: stdout is protocol only).</summary>
    public int StrayStdoutBytes { get; private set; }

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "traceide.dll");

    public static HostProcess Start(IDictionary<string, string?>? environment = null, params string[] extraArgs)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(HostDll);
        psi.ArgumentList.Add("serve");
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        // A clean environment for the backend choice unless the test sets it.
        psi.Environment.Remove("MLFLOW_TRACKING_URI");
        psi.Environment.Remove("MLFLOW_TRACKING_USERNAME");
        psi.Environment.Remove("MLFLOW_TRACKING_PASSWORD");
        psi.Environment.Remove("MLFLOW_TRACKING_TOKEN");
        psi.Environment.Remove(TraceIde.Host.Services.HostClock.NowVariable); // the real clock unless the test sets one
        if (environment != null)
        {
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        return new HostProcess(Process.Start(psi)!);
    }

    public Task<JsonObject> RequestAsync(string method, object? parameters = null, long? id = null)
    {
        var requestId = id ?? Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = tcs;
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = requestId, ["method"] = method };
        if (parameters != null) message["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), Json);
        return SendAndWaitAsync(message, tcs);
    }

    private async Task<JsonObject> SendAndWaitAsync(JsonObject message, TaskCompletionSource<JsonObject> tcs)
    {
        await SendAsync(message);
        return await tcs.Task.WaitAsync(Timeout);
    }

    /// <summary>Sends a request and returns its id without waiting (for cancellation tests).</summary>
    public async Task<(long Id, Task<JsonObject> Response)> StartRequestAsync(string method, object? parameters)
    {
        var requestId = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[requestId] = tcs;
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = requestId, ["method"] = method };
        if (parameters != null) message["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), Json);
        await SendAsync(message);
        return (requestId, tcs.Task.WaitAsync(Timeout));
    }

    public Task NotifyAsync(string method, object? parameters = null)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (parameters != null) message["params"] = JsonSerializer.SerializeToNode(parameters, parameters.GetType(), Json);
        return SendAsync(message);
    }

    public Task SendAsync(JsonObject message) => SendRawAsync(Frame(Encoding.UTF8.GetBytes(message.ToJsonString())));

    public async Task SendRawAsync(byte[] bytes)
    {
        await _writeGate.WaitAsync(); // concurrent callers (load tests) must not interleave frames
        try
        {
            await _stdin.WriteAsync(bytes);
            await _stdin.FlushAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>The host's resident set size (VmRSS from /proc), in bytes; null where /proc is missing.</summary>
    public long? ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    public static byte[] Frame(byte[] body) =>
        [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body];

    public void CloseStdin() => _stdin.Close();

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout ?? Timeout);
        return _process.ExitCode;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private async Task ReadLoopAsync()
    {
        var stdout = _process.StandardOutput.BaseStream;
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            int n;
            try { n = await stdout.ReadAsync(chunk); }
            catch (Exception) { break; }
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            while (TryTakeFrame(buffer, out var body))
            {
                var node = JsonNode.Parse(body)!.AsObject();
                if (node.TryGetPropertyValue("id", out var idNode) && idNode is JsonValue v && v.TryGetValue<long>(out var id) && !node.ContainsKey("method"))
                {
                    if (_pending.TryRemove(id, out var tcs)) tcs.TrySetResult(node);
                }
                else
                {
                    Notifications.Enqueue(node);
                }
            }
        }
        foreach (var tcs in _pending.Values) tcs.TrySetException(new EndOfStreamException("host closed stdout; stderr:\n" + Stderr));
    }

    private bool TryTakeFrame(MemoryStream buffer, out byte[] body)
    {
        body = [];
        var data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var headerEnd = data.IndexOf("\r\n\r\n"u8);
        if (headerEnd < 0) return false;
        var header = Encoding.ASCII.GetString(data[..headerEnd]);
        if (!header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
        {
            StrayStdoutBytes += headerEnd;
        }
        var lengthLine = header.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(lengthLine["Content-Length:".Length..].Trim());
        if (data.Length < headerEnd + 4 + length) return false;
        body = data.Slice(headerEnd + 4, length).ToArray();
        var rest = data[(headerEnd + 4 + length)..].ToArray();
        buffer.SetLength(0);
        buffer.Write(rest);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync().WaitAsync(Timeout);
        }
        await _readLoop.WaitAsync(Timeout);
        _process.Dispose();
    }
}

public static class JsonRpcAssert
{
    public static JsonNode Result(JsonObject response)
    {
        if (response.TryGetPropertyValue("error", out var error)) Assert.Fail($"expected a result, got error {error}");
        Assert.True(response.ContainsKey("result"), $"no result in {response}");
        return response["result"]!;
    }

    public static (int Code, string Message) Error(JsonObject response)
    {
        Assert.True(response.TryGetPropertyValue("error", out var error), $"expected an error, got {response}");
        return ((int)error!["code"]!, (string)error["message"]!);
    }
}
