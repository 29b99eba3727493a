using System.IO.Pipelines;
using StreamJsonRpc;
using TraceIde.Host.Handlers;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Transport;

/// <summary>
/// Wires one JSON-RPC connection: Content-Length framing (LSP style) over a pair of streams,
/// System.Text.Json with the source-generated contract metadata, and the handlers.
/// </summary>
public static class RpcServer
{
    /// <summary>Serves until the input ends, `exit` arrives, or <paramref name="cancellationToken"/> fires. Returns the exit code.</summary>
    public static Task<int> ServeAsync(Stream input, Stream output, HostLog log, CancellationToken cancellationToken) =>
        ServeAsync(input, output, new HostSession(log), cancellationToken);

    /// <summary>Serves <paramref name="session"/> (which it disposes at the end), as <c>traceide serve</c> does over stdio.</summary>
    public static async Task<int> ServeAsync(Stream input, Stream output, HostSession session, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var log = session.Log;
        var inbound = new Pipe();
        var sanitizer = new FrameSanitizer(input, inbound.Writer, log);

        var handler = new HeaderDelimitedMessageHandler(output, inbound.Reader.AsStream(), CreateFormatter());

        using var sessionScope = session;
        var (rpc, lifecycle) = Listen(handler, session, log);
        using var rpcScope = rpc;

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pump = sanitizer.RunAsync(stop.Token);
        using (stop.Token.Register(() => rpc.Dispose()))
        {
            var exitRequested = lifecycle.ExitRequested;
            var finished = await Task.WhenAny(rpc.Completion, exitRequested).ConfigureAwait(false);
            if (finished == rpc.Completion)
            {
                try { await rpc.Completion.ConfigureAwait(false); }
                catch (Exception ex) { log.Warn($"connection ended with an error: {ex.Message}"); }
                log.Info("connection closed");
            }
        }
        await stop.CancelAsync().ConfigureAwait(false);
        // A blocked stdin read may not observe cancellation; do not wait long for it.
        await Task.WhenAny(pump, Task.Delay(200, CancellationToken.None)).ConfigureAwait(false);
        return lifecycle.ExitCode;
    }

    /// <summary>The formatter every transport uses: System.Text.Json configured by <see cref="ProtocolJson.Configure"/>.</summary>
    public static SystemTextJsonFormatter CreateFormatter()
    {
        var formatter = new SystemTextJsonFormatter();
        ProtocolJson.Configure(formatter.JsonSerializerOptions);
        return formatter;
    }

    /// <summary>
    /// The one place that creates a connection over any transport (stdio, browser-mode WebSocket):
    /// TraceIde's error mapping, every handler, then listening. The caller disposes the returned rpc.
    /// </summary>
    public static (TraceIdeJsonRpc Rpc, LifecycleHandler Lifecycle) Listen(IJsonRpcMessageHandler handler, HostSession session, HostLog log)
    {
        var rpc = new TraceIdeJsonRpc(handler, log, session.ReleaseCaches);
        var lifecycle = new LifecycleHandler(session, log);
        var options = new JsonRpcTargetOptions { DisposeOnDisconnect = false };
        rpc.AddLocalRpcTarget(lifecycle, options);
        rpc.AddLocalRpcTarget(new ExperimentsHandler(session), options);
        rpc.AddLocalRpcTarget(new TracesHandler(session), options);
        rpc.AddLocalRpcTarget(new MarkdownHandler(), options);
        rpc.AddLocalRpcTarget(new SourceHandler(session), options);
        rpc.AddLocalRpcTarget(new AgentHandler(session), options);
        rpc.AddLocalRpcTarget(new OverviewHandler(session, (method, argument) => rpc.NotifyWithParameterObjectAsync(method, argument)), options);
        session.Live = new TraceSubscriptions((method, argument) => rpc.NotifyWithParameterObjectAsync(method, argument), log, session.Clock);
        rpc.Disconnected += (_, _) => session.StopLive();
        rpc.AddLocalRpcTarget(new LiveTracesHandler(session), options);
        rpc.StartListening();
        return (rpc, lifecycle);
    }
}
