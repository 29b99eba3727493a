using StreamJsonRpc;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Handlers;

/// <summary>`initialize`, `shutdown` and `exit`, with LSP's semantics: exit after shutdown → code 0, without → 1.</summary>
public sealed class LifecycleHandler(HostSession session, HostLog log)
{
    private readonly TaskCompletionSource _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _shutdownRequested;

    /// <summary>Completes when the client sent `exit`.</summary>
    public Task ExitRequested => _exit.Task;

    public int ExitCode => !_exit.Task.IsCompleted || _shutdownRequested ? 0 : 1;

    [JsonRpcMethod(RpcMethods.Initialize, UseSingleObjectParameterDeserialization = true)]
    public Task<InitializeResult> InitializeAsync(InitializeParams? parameters, CancellationToken cancellationToken)
    {
        if (session.BackendFixed)
        {
            // Browser mode: the backend is chosen on the command line; a page never names one.
            throw new BackendException(RpcErrorCodes.InvalidParams,
                "This connection's backend is chosen on the command line (traceide ui --tracking-uri/--store); call `session/info` instead.");
        }
        return session.InitializeAsync(parameters ?? new InitializeParams(), cancellationToken);
    }

    /// <summary>The connection's last <see cref="InitializeResult"/>; NotInitialized before `initialize`.</summary>
    [JsonRpcMethod(RpcMethods.SessionInfo)]
    public InitializeResult SessionInfo() => session.Info;

    [JsonRpcMethod(RpcMethods.Shutdown)]
    public void Shutdown()
    {
        log.Info("shutdown requested");
        _shutdownRequested = true;
        session.StopLive();
    }

    [JsonRpcMethod(RpcMethods.Exit)]
    public void Exit()
    {
        log.Info("exit requested");
        _exit.TrySetResult();
    }
}
