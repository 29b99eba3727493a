using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.Shell;
using Microsoft.VisualStudio.Shell.Interop;
using TraceIde.VisualStudio.Core.Hosting;
using TraceIde.VisualStudio.Ui;
using Task = System.Threading.Tasks.Task;

namespace TraceIde.VisualStudio
{
    /// <summary>
    /// The package: owns one <see cref="HostProcessManager"/> (one `traceide serve` per Visual Studio instance,
    /// started on first use, restarted when it dies, stopped when VS closes; `--parent-pid` covers a VS crash).
    /// </summary>
    [PackageRegistration(UseManagedResourcesOnly = true, AllowsBackgroundLoading = true)]
    [Guid(PackageGuidString)]
    [ProvideMenuResource("Menus.ctmenu", 1)]
    // tabbed with Solution Explorer
    [ProvideToolWindow(typeof(TraceIdeToolWindow), Style = VsDockStyle.Tabbed, Window = "3ae79031-e1bc-11d0-8f78-00a0c9110057")]
    [ProvideOptionPage(typeof(TraceIdeOptionsPage), "TraceIde", "General", 0, 0, true)]
    public sealed class TraceIdePackage : AsyncPackage
    {
        public const string PackageGuidString = "2d6b9a61-3c1e-4f0b-8a57-6e4f1c2d9b30";

        private HostProcessManager? _host;
        private readonly WindowsCredentialStore _credentials = new WindowsCredentialStore();

        /// <summary>The folder this extension is installed in (host\ and webview\ are beside the package dll).</summary>
        public static string InstallFolder => Path.GetDirectoryName(typeof(TraceIdePackage).Assembly.Location)!;

        protected override async Task InitializeAsync(CancellationToken cancellationToken, IProgress<ServiceProgressData> progress)
        {
            await JoinableTaskFactory.SwitchToMainThreadAsync(cancellationToken);
            await ShowTraceIdeCommand.InitializeAsync(this);
            var options = (TraceIdeOptionsPage)GetDialogPage(typeof(TraceIdeOptionsPage));
            options.Applied += (_, __) => JoinableTaskFactory.RunAsync(async () =>
            {
                if (_host != null) await _host.RestartAsync();
            }).FileAndForget("TraceIde/options/restart");
        }

        /// <summary>The host, created on first use with the current options and credentials (re-read at every restart).</summary>
        public HostProcessManager GetHost()
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            if (_host != null) return _host;
            var options = (TraceIdeOptionsPage)GetDialogPage(typeof(TraceIdeOptionsPage));
            var pid = Process.GetCurrentProcess().Id;
            var folders = SolutionFolders();
            var (hostDll, fallbackHostDll) = HostLayout.Resolve(InstallFolder);
            _host = new HostProcessManager(() => HostStartInfoFactory.Create(
                options.ToOptions(),
                _credentials,
                hostDll,
                pid,
                folders,
                fallbackHostPath: fallbackHostDll));
            _host.Log += line => Debug.WriteLine("[traceide] " + line);
            _host.Start();
            return _host;
        }

        private IReadOnlyList<string> SolutionFolders()
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            if (GetService(typeof(SVsSolution)) is IVsSolution solution
                && solution.GetSolutionInfo(out var directory, out _, out _) == 0
                && !string.IsNullOrEmpty(directory))
            {
                return new[] { directory };
            }
            return Array.Empty<string>();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _host != null)
            {
                // Shutdown + exit, then kill: no host outlives Visual Studio.
                ThreadHelper.JoinableTaskFactory.Run(async () => await _host.DisposeAsync());
                _host = null;
            }
            base.Dispose(disposing);
        }
    }
}
