using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Core.Hosting;

/// <summary>
/// Owns the `traceide serve` child process: starts it, sends `initialize`, restarts it with backoff when it
/// dies, and on dispose asks it to shut down and kills it if it does not — no host outlives the manager
/// (and `--parent-pid` makes the host exit by itself if the IDE dies first). Implements <see cref="IHostRpc"/>:
/// a request waits for a running, initialised host.
/// </summary>
public sealed class HostProcessManager : IHostRpc, IAsyncDisposable, IDisposable
{
    private static readonly JsonSerializerOptions Json = ContractJson.Options;

    private readonly Func<HostStartInfo> _startInfo;
    private readonly RestartPolicy _policy;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<Process> _started = [];
    private readonly List<int> _startedPids = [];
    private readonly Queue<string> _stderrTail = new();
    private TaskCompletionSource<Instance> _ready = NewReady();
    private Task? _loop;
    private int _consecutiveFailures;
    private int _disposed;
    /// <summary>A host answered `initialize` once: from then on an exit is a crash, not a host this machine refuses.</summary>
    private volatile bool _hostAnswered;
    /// <summary>Start <see cref="HostStartInfo.FallbackHostPath"/> instead of the host that did not start.</summary>
    private volatile bool _useFallback;

    public HostProcessManager(Func<HostStartInfo> startInfo, RestartPolicy? policy = null)
    {
        _startInfo = startInfo;
        _policy = policy ?? new RestartPolicy();
    }

    /// <summary>Raised with the PID of every host that answered `initialize`.</summary>
    public event Action<int>? HostStarted;
    /// <summary>Raised when a host whose tracking server was unreachable connected to it after all: panels reload.</summary>
    public event Action? BackendReconnected;
    /// <summary>Raised with (PID, exit code) when a host exits.</summary>
    public event Action<int, int?>? HostExited;
    /// <summary>Lines the host wrote to stderr (its log), and the manager's own notes.</summary>
    public event Action<string>? Log;

    /// <summary>PID of the running host, if any.</summary>
    public int? CurrentPid { get; private set; }
    /// <summary>How many hosts were started so far (1 + restarts).</summary>
    public int StartCount { get; private set; }
    /// <summary>The last `initialize` answer (shown by the UI through `session/info`).</summary>
    public InitializeResult? SessionInfo { get; private set; }
    /// <summary>Set when the host refused `initialize` (wrong store, unreachable server): every request then gets this error.</summary>
    public RpcError? InitializeError { get; private set; }
    /// <summary>Every PID this manager started (for "no orphans" checks).</summary>
    public IReadOnlyList<int> StartedPids { get { lock (_gate) return [.. _startedPids]; } }

    public string StderrTail { get { lock (_stderrTail) return string.Join(System.Environment.NewLine, _stderrTail); } }

    /// <summary>Starts the supervision loop (idempotent). Requests start it too.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_disposed != 0) throw new ObjectDisposedException(nameof(HostProcessManager));
            _loop ??= Task.Run(SuperviseAsync);
        }
    }

    /// <summary>Waits for a running, initialised host.</summary>
    public async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        Start();
        await GetReadyAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<RpcOutcome> RequestAsync(string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        Instance instance;
        try
        {
            Start();
            instance = await GetReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return RpcOutcome.Failure(RpcError.Cancelled());
        }
        catch (ObjectDisposedException)
        {
            return RpcOutcome.Failure(new RpcError(RpcError.ConnectionLost, "The TraceIde host was stopped."));
        }
        catch (HostUnavailableException ex)
        {
            return RpcOutcome.Failure(new RpcError(RpcError.ConnectionLost, ex.Message));
        }
        if (InitializeError is { } initError) return RpcOutcome.Failure(initError);
        return await instance.Client.RequestAsync(method, parameters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the current host (if any) and starts a new one with fresh <see cref="HostStartInfo"/> (options changed).</summary>
    public async Task RestartAsync()
    {
        Task? loop;
        lock (_gate)
        {
            _consecutiveFailures = 0;
            loop = _loop;
        }
        if (loop != null && loop.IsCompleted)
        {
            lock (_gate)
            {
                // Gave up earlier: supervise again, with a fresh "ready" (the old one holds the give-up error).
                _loop = null;
                if (_ready.Task.IsFaulted) _ready = NewReady();
            }
        }
        if (_ready.Task.IsCompleted && _ready.Task.Status == TaskStatus.RanToCompletion)
        {
            var current = await _ready.Task.ConfigureAwait(false);
            _restartRequested = true;
            Kill(current.Process);
        }
        Start();
    }

    private volatile bool _restartRequested;

    private async Task<Instance> GetReadyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_disposed != 0) throw new ObjectDisposedException(nameof(HostProcessManager));
            var ready = Volatile.Read(ref _ready);
            var instance = await ready.Task.WithCancellationAsync(cancellationToken).ConfigureAwait(false);
            if (!instance.HasExited) return instance;
            // It died after becoming ready; the exit handler swaps in a new TCS. Wait for it.
            await instance.Exited.WithCancellationAsync(cancellationToken).ConfigureAwait(false);
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SuperviseAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Instance? instance = null;
            var startedAt = Stopwatch.StartNew();
            var fellBack = false;
            try
            {
                instance = Launch();
                await InitializeAsync(instance, stop).ConfigureAwait(false);
                _hostAnswered = true;
                // CurrentPid before "ready": whoever awaited readiness may read it at once (CI caught a null).
                CurrentPid = instance.Pid;
                lock (_gate) Volatile.Read(ref _ready).TrySetResult(instance);
                HostStarted?.Invoke(instance.Pid);
                if (InitializeError is { Code: RpcErrorCodes.Unreachable }) _ = ReconnectAsync(instance, stop);
                await instance.Exited.WithCancellationAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Note("the TraceIde host could not be started: " + ex.Message);
                fellBack = instance != null && TryFallBack(instance);
                if (instance != null)
                {
                    Kill(instance.Process);
                    try { await instance.Exited.WithCancellationAsync(stop).ConfigureAwait(false); }
                    catch (OperationCanceledException) { break; }
                }
            }

            CurrentPid = null;
            if (instance != null) HostExited?.Invoke(instance.Pid, instance.ExitCode);
            if (stop.IsCancellationRequested) break;
            if (fellBack) continue; // at once, and not counted as a failure

            if (_restartRequested || startedAt.Elapsed >= _policy.StableAfter) _consecutiveFailures = 0;
            else _consecutiveFailures++;
            _restartRequested = false;
            if (_consecutiveFailures > _policy.MaxConsecutiveFailures)
            {
                var message = $"The TraceIde host stopped {_consecutiveFailures} times in a row; not restarting it. Last log " +
                    $"lines:{System.Environment.NewLine}{StderrTail}";
                Note(message);
                lock (_gate) Volatile.Read(ref _ready).TrySetException(new HostUnavailableException(message));
                return;
            }
            var delay = _policy.DelayFor(_consecutiveFailures);
            if (delay > TimeSpan.Zero) Note($"restarting the TraceIde host in {delay.TotalMilliseconds:0} ms");
            try { await Task.Delay(delay, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
        }
    }

    /// <summary>
    /// A host that died before any host of this manager answered `initialize`, with a fallback to start: from now
    /// on, the fallback (the portable host) starts instead. False when that does not apply.
    /// </summary>
    private bool TryFallBack(Instance instance)
    {
        var fallback = instance.Info.FallbackHostPath;
        if (_hostAnswered || _useFallback || string.IsNullOrEmpty(fallback) || !instance.Process.WaitForExit(2000)) return false;
        _useFallback = true;
        Note($"the host {instance.Info.HostPath} did not start; using {fallback} from now on");
        return true;
    }

    private Instance Launch()
    {
        var info = _startInfo();
        if (_useFallback && !string.IsNullOrEmpty(info.FallbackHostPath))
        {
            info.HostPath = info.FallbackHostPath!;
        }
        var psi = new ProcessStartInfo(info.FileName, HostStartInfo.JoinArguments(info.Arguments()))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        foreach (var name in HostStartInfo.ScrubbedVariables) psi.Environment.Remove(name);
        foreach (var pair in info.Environment) psi.Environment[pair.Key] = pair.Value;

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var instance = new Instance(process, info);
        // Before Start, so no exit is missed. Swap in a fresh "ready" before anyone sees the exit.
        process.Exited += (_, _) => instance.OnExited(() =>
        {
            lock (_gate)
            {
#pragma warning disable VSTHRD002 // completed task: no wait
                if (_ready.Task.Status == TaskStatus.RanToCompletion && _ready.Task.Result == instance)
#pragma warning restore VSTHRD002
                    _ready = NewReady();
            }
        });
        lock (_gate)
        {
            if (_disposed != 0) throw new OperationCanceledException(_stop.Token);
            process.Start();
            _started.Add(process);
            _startedPids.Add(process.Id);
            StartCount++;
        }
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) Note(e.Data); };
        process.BeginErrorReadLine();
        instance.Attach(new HostRpcClient(process.StandardOutput.BaseStream, process.StandardInput.BaseStream));
        if (process.HasExited) instance.OnExited(static () => { });
        return instance;
    }

    private async Task InitializeAsync(Instance instance, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_policy.InitializeTimeout);
        var parameters = JsonSerializer.SerializeToNode(instance.Info.Initialize, Json);
        var outcome = await instance.Client.RequestAsync(RpcMethods.Initialize, parameters, timeout.Token).ConfigureAwait(false);
        stop.ThrowIfCancellationRequested();
        if (outcome.Error is { } error)
        {
            if (error.Code == RpcError.ConnectionLost || error.Code == RpcErrorCodes.Cancelled)
                throw new IOException("the host did not answer initialize (" + error.Message + ")");
            // The host runs but the backend is wrong (bad store, unreachable server): keep it, report the error.
            InitializeError = error;
            SessionInfo = null;
            Note("initialize failed: " + error);
            return;
        }
        InitializeError = null;
        SessionInfo = outcome.Result?.Deserialize<InitializeResult>(Json);
    }

    /// <summary>
    /// A tracking server that cannot be reached (not started yet, restarting) is asked again, by the same host,
    /// on the reconnect schedule VS Code follows (<see cref="RestartPolicy.ReconnectDelay"/>), until it answers,
    /// another error comes, or the host goes; then <see cref="BackendReconnected"/> tells the window to reload.
    /// </summary>
    private async Task ReconnectAsync(Instance instance, CancellationToken stop)
    {
        for (var attempt = 0; !stop.IsCancellationRequested && !instance.HasExited; attempt++)
        {
            var delay = _policy.ReconnectDelay(attempt);
            Note($"the tracking server is unreachable; asking again in {delay.TotalMilliseconds:0} ms");
            try { await Task.Delay(delay, stop).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            if (instance.HasExited || CurrentPid != instance.Pid) return; // a restart took over
            try
            {
                await InitializeAsync(instance, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                return; // the host went: the supervision loop restarts it and initializes anew
            }
            if (InitializeError == null)
            {
                Note("reconnected to the tracking server");
                BackendReconnected?.Invoke();
                return;
            }
            if (InitializeError.Code != RpcErrorCodes.Unreachable) return; // a configuration problem: no loop
        }
    }

    private void Note(string line)
    {
        lock (_stderrTail)
        {
            _stderrTail.Enqueue(line);
            while (_stderrTail.Count > 50) _stderrTail.Dequeue();
        }
        Log?.Invoke(line);
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(); // `dotnet traceide.dll` runs the app in the muxer's process: no tree.
        }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    /// <summary>Graceful `shutdown` + `exit`, then kill whatever is left, and wait for every started process to be gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        var ready = Volatile.Read(ref _ready).Task;
        _stop.Cancel();
        if (ready.Status == TaskStatus.RanToCompletion && !(await ready.ConfigureAwait(false)).HasExited)
        {
            var instance = await ready.ConfigureAwait(false);
            using var cts = new CancellationTokenSource(_policy.ShutdownTimeout);
            try
            {
                await instance.Client.RequestAsync(RpcMethods.Shutdown, null, cts.Token).ConfigureAwait(false);
                await instance.Client.NotifyAsync(RpcMethods.Exit, null).ConfigureAwait(false);
                await instance.Exited.WithCancellationAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Killed below.
            }
        }
        List<Process> started;
        lock (_gate) started = [.. _started];
        foreach (var p in started) Kill(p);
        foreach (var p in started)
        {
            try { await Task.Run(() => p.WaitForExit(5000)).ConfigureAwait(false); }
            catch (InvalidOperationException) { }
        }
        if (_loop != null)
        {
            try { await _loop.ConfigureAwait(false); }
            catch (Exception ex) when (ex is OperationCanceledException or HostUnavailableException) { }
        }
        lock (_gate) _ready.TrySetException(new ObjectDisposedException(nameof(HostProcessManager)));
        foreach (var p in started) p.Dispose();
        _stop.Dispose();
    }

    /// <summary>Synchronous dispose for callers without async (prefer <see cref="DisposeAsync"/>; never on the UI thread).</summary>
#pragma warning disable VSTHRD002 // documented: never called on a main thread
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
#pragma warning restore VSTHRD002

    private static TaskCompletionSource<Instance> NewReady() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Instance
    {
        private readonly TaskCompletionSource<bool> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Instance(Process process, HostStartInfo info)
        {
            Process = process;
            Info = info;
        }

        public Process Process { get; }
        public HostStartInfo Info { get; }
        public HostRpcClient Client { get; private set; } = null!;
        public int Pid => Process.Id;
        public Task Exited => _exited.Task;
        public bool HasExited => _exited.Task.IsCompleted || Client.IsClosed;
        public int? ExitCode { get; private set; }

        public void Attach(HostRpcClient client) => Client = client;

        public void OnExited(Action beforeSignal)
        {
            try { ExitCode = Process.ExitCode; } catch (InvalidOperationException) { }
            beforeSignal();
            _exited.TrySetResult(true);
        }
    }
}

/// <summary>The manager gave up restarting the host (it kept dying); see the message for its last log lines.</summary>
public sealed class HostUnavailableException(string message) : Exception(message);

internal static class TaskExtensions
{
    public static async Task<T> WithCancellationAsync<T>(this Task<T> task, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || task.IsCompleted) return await task.ConfigureAwait(false);
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
        {
            if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                throw new OperationCanceledException(cancellationToken);
        }
        return await task.ConfigureAwait(false);
    }

    public static async Task WithCancellationAsync(this Task task, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled || task.IsCompleted) { await task.ConfigureAwait(false); return; }
        var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
        {
            if (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false) != task)
                throw new OperationCanceledException(cancellationToken);
        }
        await task.ConfigureAwait(false);
    }
}
