using System.Diagnostics;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Host.Transport;

namespace TraceIde.Host.Cli;

/// <summary>
/// `traceide ui`: browser mode. Checks the backend once, serves the UI bundle and the JSON-RPC
/// WebSocket on 127.0.0.1, prints exactly one line to stdout (the page's URL with the token), opens
/// the browser unless --no-open, and runs until Ctrl+C / SIGTERM.
/// </summary>
public static class UiCommand
{
    public const string UrlLinePrefix = "TraceIde UI: ";

    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr)
    {
        _ = StartupWarmUp.StartAsync();
        using var log = new HostLog(stderr, null, LogLevel.Info);
        HostClock.Announce(log);
        var backend = CommandLineBackend.Choose(options, "traceide ui");

        // Fail now on a wrong --store or an unreachable server, not later in the page.
        using (var probe = new HostSession(log))
        {
            try
            {
                await probe.InitializeAsync(backend, CancellationToken.None).ConfigureAwait(false);
            }
            catch (BackendException e)
            {
                log.Error(HostLog.Redact(e.Message));
                return CommandLine.BackendError;
            }
        }

        var root = options.Get("--webview-root") ?? Path.Combine(AppContext.BaseDirectory, "webview");
        BrowserServer server;
        try
        {
            server = await BrowserServer.StartAsync(backend, options.GetInt("--port") ?? 0, root, log, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            log.Error($"cannot listen on 127.0.0.1:{options.GetInt("--port") ?? 0}: {e.Message}");
            return CommandLine.Failed;
        }
        await using (server.ConfigureAwait(false))
        {
            await stdout.WriteLineAsync($"{UrlLinePrefix}{server.Url}").ConfigureAwait(false);
            await stdout.FlushAsync().ConfigureAwait(false);
            if (!options.Has("--no-open")) OpenBrowser(server.Url, server.Token, log);
            await server.WaitForShutdownAsync().ConfigureAwait(false);
            log.Info("browser mode stopped");
        }
        return CommandLine.Ok;
    }

    /// <summary>Opens the default browser; failing to is a warning (the URL is on stdout). Never logs the URL.</summary>
    private static void OpenBrowser(string url, string token, HostLog log)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                using var shell = Process.Start(new ProcessStartInfo(url) { UseShellExecute = true });
                return;
            }
            // The opener's own output may echo the URL (and so the token): capture and drop it.
            var psi = new ProcessStartInfo(OperatingSystem.IsMacOS() ? "open" : "xdg-open")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            psi.ArgumentList.Add(url);
            var process = Process.Start(psi);
            if (process is null) return;
            _ = WatchOpenerAsync(process, token, log);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            log.Warn($"could not open a browser ({e.Message.Replace(token, "***", StringComparison.Ordinal)}); open the URL printed on stdout");
        }
    }

    private static async Task WatchOpenerAsync(Process process, string token, HostLog log)
    {
        using (process)
        {
            var drainOut = process.StandardOutput.ReadToEndAsync();
            var drainErr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().ConfigureAwait(false);
            await Task.WhenAll(drainOut, drainErr).ConfigureAwait(false);
            if (process.ExitCode != 0)
                log.Warn($"could not open a browser ({process.StartInfo.FileName} exited with {process.ExitCode}); open the URL printed on stdout");
        }
    }
}
