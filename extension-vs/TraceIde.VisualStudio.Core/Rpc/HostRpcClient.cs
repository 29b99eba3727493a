using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;

namespace TraceIde.VisualStudio.Core.Rpc;

/// <summary>
/// A JSON-RPC 2.0 client over two streams (the host's stdout and stdin) with Content-Length framing.
/// Cancellation sends `$/cancelRequest {id}`; the host's late answer to a cancelled request is dropped.
/// When the input ends, every pending request completes with <see cref="RpcError.ConnectionLost"/>.
/// </summary>
public sealed class HostRpcClient : IHostRpc, IDisposable
{
    private readonly Stream _output;
    private readonly ContentLengthReader _reader;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<RpcOutcome>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private long _nextId;
    private volatile bool _closed;

    public HostRpcClient(Stream input, Stream output)
    {
        _output = output;
        _reader = new ContentLengthReader(input);
        Completion = Task.Run(ReadLoopAsync);
    }

    /// <summary>Completes when the input stream ends (the host exited or closed stdout).</summary>
    public Task Completion { get; }

    /// <summary>Notifications the host sends (method, params). Raised on the read loop.</summary>
    public event Action<string, JsonNode?>? NotificationReceived;

    public bool IsClosed => _closed;

    public async Task<RpcOutcome> RequestAsync(string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested) return RpcOutcome.Failure(RpcError.Cancelled());
        if (_closed) return RpcOutcome.Failure(Lost());
        var id = Interlocked.Increment(ref _nextId);
        var tcs = new TaskCompletionSource<RpcOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = tcs;
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method };
        if (parameters != null) message["params"] = parameters.DeepClone();
        try
        {
            await WriteAsync(message).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            _pending.TryRemove(id, out _);
            return RpcOutcome.Failure(new RpcError(RpcError.ConnectionLost, "Could not send the request to the TraceIde host: " + ex.Message));
        }
        using (cancellationToken.Register(() => CancelPending(id)))
        {
            return await tcs.Task.ConfigureAwait(false);
        }
    }

    public Task NotifyAsync(string method, JsonNode? parameters)
    {
        var message = new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method };
        if (parameters != null) message["params"] = parameters.DeepClone();
        return WriteAsync(message);
    }

    private void CancelPending(long id)
    {
        if (!_pending.TryRemove(id, out var tcs)) return;
        tcs.TrySetResult(RpcOutcome.Failure(RpcError.Cancelled()));
        _ = SendCancelAsync(id);
    }

    private async Task SendCancelAsync(long id)
    {
        try
        {
            await NotifyAsync("$/cancelRequest", new JsonObject { ["id"] = id }).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The host is gone: nothing to cancel.
        }
    }

    private async Task WriteAsync(JsonObject message)
    {
        var frame = ContentLengthWriter.Frame(Encoding.UTF8.GetBytes(message.ToJsonString()));
        await _writeLock.WaitAsync(_disposed.Token).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(frame, 0, frame.Length, _disposed.Token).ConfigureAwait(false);
            await _output.FlushAsync(_disposed.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var body = await _reader.ReadAsync(_disposed.Token).ConfigureAwait(false);
                if (body == null) break;
                JsonNode? node;
                try { node = JsonNode.Parse(body); }
                catch (System.Text.Json.JsonException) { continue; }
                if (node is JsonObject o) Dispatch(o);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
        {
            // Connection over.
        }
        finally
        {
            _closed = true;
            foreach (var id in _pending.Keys)
            {
                if (_pending.TryRemove(id, out var tcs)) tcs.TrySetResult(RpcOutcome.Failure(Lost()));
            }
        }
    }

    private void Dispatch(JsonObject o)
    {
        var hasMethod = o["method"] is JsonValue;
        if (!hasMethod && o["id"] is JsonValue idValue && idValue.TryGetValue<long>(out var id))
        {
            if (!_pending.TryRemove(id, out var tcs)) return; // late answer to a cancelled request
            tcs.TrySetResult(o.ContainsKey("error")
                ? RpcOutcome.Failure(RpcError.FromJson(o["error"]))
                : RpcOutcome.Success(o["result"]?.DeepClone()));
        }
        else if (hasMethod && !o.ContainsKey("id"))
        {
            NotificationReceived?.Invoke((string)o["method"]!, o["params"]?.DeepClone());
        }
    }

    private static RpcError Lost() => new(RpcError.ConnectionLost, "The TraceIde host stopped. It is being restarted; try again.");

    public void Dispose()
    {
        _closed = true;
        _disposed.Cancel();
    }
}
