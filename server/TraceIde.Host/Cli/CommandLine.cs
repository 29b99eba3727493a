using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Host.Transport;

namespace TraceIde.Host.Cli;

/// <summary>
/// `traceide` commands. Exit codes: 0 ok, 1 exit without shutdown / failure, 2 bad usage,
/// 3 backend error (message on stderr).
/// </summary>
public static class CommandLine
{
    public const int Ok = 0, Failed = 1, Usage = 2, BackendError = 3;

    private const string Help = """
        traceide — MLflow traces beside your code

        Usage:
          traceide serve [--parent-pid PID] [--log-file FILE] [--verbose]
              JSON-RPC 2.0 on stdin/stdout (Content-Length framing). What an IDE starts.
          traceide traces [--tracking-uri URL | --store PATH] [--experiment ID] [--limit N] [--trace ID]
              Print the newest traces and one span tree. Without a backend option: MLFLOW_TRACKING_URI,
              then ./mlflow.db, then the sample store shipped with TraceIde.
          traceide ui [--tracking-uri URL | --store PATH] [--port N] [--no-open] [--webview-root DIR]
              Browser mode: serve the UI and a JSON-RPC WebSocket on 127.0.0.1 (random port unless --port),
              print the page's URL (with its secret token) and open it. Backend as for `traces`.
          traceide mcp [--tracking-uri URL | --store PATH] [--workspace DIR] [--allow-writes] [--log-file FILE] [--verbose]
              A Model Context Protocol server on stdio: tools for AI agents (search traces, budgeted trace summaries,
              spans, span → source, Overview numbers). Backend as for `traces`; --workspace (default: the current
              folder) for span → source; write tools (feedback, tags, delete) only with --allow-writes.
          traceide contract --typescript [--out FILE]
              Write the TypeScript declaration of the RPC contract.
          traceide --version
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        if (options.Error is { } error)
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(Help).ConfigureAwait(false);
            return Usage;
        }
        if (options.Command is "serve" or "ui" or "mcp")
        {
            try
            {
                _ = HostClock.Current; // a bad TRACEIDE_NOW is a usage error now, not a failed request later
            }
            catch (ArgumentException e)
            {
                await Console.Error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return Usage;
            }
        }
        switch (options.Command)
        {
            case "serve":
                return await ServeAsync(options).ConfigureAwait(false);
            case "traces":
                return await TracesCommand.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false);
            case "ui":
                return await UiCommand.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false);
            case "mcp":
                return await McpCommand.RunAsync(options, Console.Error).ConfigureAwait(false);
            case "contract":
                return ContractCommand.Run(options, Console.Out, Console.Error);
            case "version":
                await Console.Out.WriteLineAsync(HostInfo.Version).ConfigureAwait(false);
                return Ok;
            default:
                await Console.Out.WriteLineAsync(Help).ConfigureAwait(false);
                return options.Command == "help" ? Ok : Usage;
        }
    }

    private static async Task<int> ServeAsync(Options options)
    {
        _ = StartupWarmUp.StartAsync();
        using var log = new HostLog(Console.Error, options.Get("--log-file"), options.Has("--verbose") ? LogLevel.Debug : LogLevel.Info);
        log.Info($"traceide {HostInfo.Version} serving JSON-RPC on stdio (pid {Environment.ProcessId}, protocol {TraceIde.Protocol.ProtocolInfo.Version})");
        HostClock.Announce(log);
        using var stop = new CancellationTokenSource();
        if (options.GetInt("--parent-pid") is { } parentPid)
        {
            _ = ParentWatcher.WatchAsync(parentPid, log, stop);
        }
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };

        var exitCode = await RpcServer.ServeAsync(Console.OpenStandardInput(), Console.OpenStandardOutput(), log, stop.Token).ConfigureAwait(false);
        log.Info($"exiting with code {exitCode}");
        return exitCode;
    }
}

/// <summary>Ends the host when the IDE that started it dies, so no host is ever orphaned.</summary>
public static class ParentWatcher
{
    public static async Task WatchAsync(int pid, HostLog log, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            if (!IsAlive(pid))
            {
                log.Info($"parent process {pid} is gone; exiting");
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }
            try { await Task.Delay(TimeSpan.FromSeconds(1), stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = System.Diagnostics.Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>A minimal `command --flag value` parser; the host has few options and no need for more.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string?> _flags = new(StringComparer.Ordinal);

    public string Command { get; private set; } = "help";
    public string? Error { get; private set; }

    private static readonly Dictionary<string, string[]> Known = new()
    {
        ["serve"] = ["--parent-pid", "--log-file", "--verbose"],
        ["traces"] = ["--tracking-uri", "--store", "--experiment", "--limit", "--trace"],
        ["ui"] = ["--tracking-uri", "--store", "--port", "--no-open", "--webview-root"],
        ["mcp"] = ["--tracking-uri", "--store", "--workspace", "--allow-writes", "--log-file", "--verbose"],
        ["contract"] = ["--typescript", "--out"],
        ["version"] = [],
        ["help"] = [],
    };
    private static readonly HashSet<string> Switches = ["--verbose", "--typescript", "--no-open", "--allow-writes"];

    public static Options Parse(string[] args)
    {
        var o = new Options();
        if (args.Length == 0) return o;
        o.Command = args[0] switch
        {
            "--version" or "-v" => "version",
            "--help" or "-h" => "help",
            var c => c,
        };
        if (!Known.TryGetValue(o.Command, out var allowed))
        {
            o.Error = $"Unknown command '{args[0]}'.";
            return o;
        }
        for (var i = 1; i < args.Length; i++)
        {
            var flag = args[i];
            if (flag is "--help" or "-h")
            {
                // `traceide ui --help` is a question, not a mistake: the usage, exit 0.
                o.Command = "help";
                o._flags.Clear();
                return o;
            }
            if (!allowed.Contains(flag))
            {
                o.Error = $"Unknown option '{flag}' for '{o.Command}'.";
                return o;
            }
            if (Switches.Contains(flag))
            {
                o._flags[flag] = null;
            }
            else if (i + 1 < args.Length)
            {
                o._flags[flag] = args[++i];
            }
            else
            {
                o.Error = $"Option '{flag}' needs a value.";
                return o;
            }
        }
        foreach (var numeric in new[] { "--parent-pid", "--limit", "--port" })
        {
            if (o._flags.TryGetValue(numeric, out var v) && !int.TryParse(v, out _))
                o.Error = $"Option '{numeric}' needs a number (was '{v}').";
        }
        if (o.GetInt("--port") is { } port && port is < 0 or > 65535)
            o.Error = $"Option '--port' needs a port number from 0 (any free port) to 65535 (was {port}).";
        return o;
    }

    public bool Has(string flag) => _flags.ContainsKey(flag);
    public string? Get(string flag) => _flags.GetValueOrDefault(flag);
    public int? GetInt(string flag) => int.TryParse(Get(flag), out var n) ? n : null;
}
