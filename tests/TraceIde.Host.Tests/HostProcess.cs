using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Host.Transport;

namespace TraceIde.Host.Tests;

/// <summary>
/// One JSON-RPC connection to a host, spoken to with hand-written Content-Length frames — no StreamJsonRpc on this
/// side, so the wire format itself is under test. Every wait has a timeout. Two kinds: <see cref="HostProcess"/>, the
/// real `traceide serve` process (for what only a process shows: exit codes, stdout purity, parent death, memory,
/// environment variables, fuzzing), and <see cref="InProcessHost"/>, the same server over in-memory streams in the
/// test's own process (for what a request answers; no process start, and the machine's environment cannot reach it).
/// </summary>
public abstract class HostConnection : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonObject>> _pending = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private Stream _toHost = Stream.Null;
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;

    /// <summary>Starts reading the host's frames; called once the derived class has its streams.</summary>
    protected void Connect(Stream toHost, Stream fromHost)
    {
        _toHost = toHost;
        _readLoop = Task.Run(() => ReadLoopAsync(fromHost));
    }

    /// <summary>What the host wrote to its log (stderr for a process).</summary>
    public abstract string Stderr { get; }

    /// <summary>Notifications the host sent, in order.</summary>
    public ConcurrentQueue<JsonObject> Notifications { get; } = new();

    /// <summary>Bytes on stdout that were not a well-formed frame (must stay empty: stdout is protocol only).</summary>
    public int StrayStdoutBytes { get; private set; }

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
            await _toHost.WriteAsync(bytes);
            await _toHost.FlushAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public static byte[] Frame(byte[] body) =>
        [.. Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"), .. body];

    /// <summary>Ends the host's input, as an IDE closing the pipe does.</summary>
    public void CloseStdin() => _toHost.Close();

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private async Task ReadLoopAsync(Stream fromHost)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            int n;
            try { n = await fromHost.ReadAsync(chunk); }
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

    /// <summary>Stops the host (kills the process, or ends the in-memory connection), then waits for the read loop.</summary>
    protected abstract ValueTask StopAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _readLoop.WaitAsync(Timeout);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The real `traceide serve` process, started as an IDE starts it (dotnet traceide.dll serve), over its real pipes.</summary>
public sealed class HostProcess : HostConnection
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private HostProcess(Process process)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_stderr) _stderr.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        Connect(process.StandardInput.BaseStream, process.StandardOutput.BaseStream);
    }

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public override string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

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

    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout ?? Timeout);
        return _process.ExitCode;
    }

    protected override async ValueTask StopAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync().WaitAsync(Timeout);
        }
        _process.Dispose();
    }
}

/// <summary>
/// The host's JSON-RPC server (<see cref="RpcServer.ServeAsync(Stream, Stream, HostSession, CancellationToken)"/>, what
/// `traceide serve` runs) over in-memory pipes in the test's process. Its environment is a dictionary the test gives
/// (empty by default), its clock the test's, its log a string: nothing of the machine's reaches it.
/// </summary>
public sealed class InProcessHost : HostConnection
{
    private readonly StringWriter _log = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<int> _serving;
    private readonly Stream _hostSide;
    private readonly Stream _testSide;

    private InProcessHost(IReadOnlyDictionary<string, string?> environment, TimeProvider? clock)
    {
        var (hostSide, testSide) = Nerdbank.Streams.FullDuplexStream.CreatePair();
        (_hostSide, _testSide) = (hostSide, testSide);
        var log = new HostLog(TextWriter.Synchronized(_log));
        var session = new HostSession(log)
        {
            Environment = name => environment.GetValueOrDefault(name),
            Clock = clock ?? TimeProvider.System,
        };
        _serving = Task.Run(() => RpcServer.ServeAsync(hostSide, hostSide, session, _stop.Token));
        Connect(testSide, testSide);
    }

    public static InProcessHost Start(IReadOnlyDictionary<string, string?>? environment = null, TimeProvider? clock = null) =>
        new(environment ?? new Dictionary<string, string?>(), clock);

    public override string Stderr { get { lock (_log) return _log.ToString(); } }

    protected override async ValueTask StopAsync()
    {
        await _stop.CancelAsync();
        await _serving.WaitAsync(Timeout);
        await _hostSide.DisposeAsync(); // ends the test side's reads
        await _testSide.DisposeAsync();
        _stop.Dispose();
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
