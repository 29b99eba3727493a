using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.VisualStudio.PlatformUI;
using Microsoft.VisualStudio.Shell;
using TraceIde.VisualStudio.Ui;

namespace TraceIde.VisualStudio
{
    /// <summary>The "TraceIde" tool window: the WebView2 control, the relay to the package's host, the VS theme.</summary>
    [Guid("5a3f2e1d-8c7b-4a69-9e0d-1b2c3d4e5f60")]
    public sealed class TraceIdeToolWindow : ToolWindowPane
    {
        private readonly TraceIdeView _view = new TraceIdeView();

        public TraceIdeToolWindow() : base(null)
        {
            Caption = "TraceIde";
            Content = _view;
        }

        public override void OnToolWindowCreated()
        {
            base.OnToolWindowCreated();
            var package = (TraceIdePackage)Package;
            package.JoinableTaskFactory.RunAsync(async () =>
            {
                await package.JoinableTaskFactory.SwitchToMainThreadAsync();
                var userData = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "TraceIde", "WebView2");
                await _view.InitializeAsync(
                    package.GetHost(),
                    new VsNavigator(package),
                    Path.Combine(TraceIdePackage.InstallFolder, "webview"),
                    userData,
                    VsTheme.Current());
                VSColorTheme.ThemeChanged += OnThemeChanged;
                // The page showed the unreachable server's error: once the host reaches it, show its traces.
                package.GetHost().BackendReconnected += () => _view.ReloadAsync().FileAndForget("TraceIde/window/reconnected");
            }).FileAndForget("TraceIde/window/init");
        }

        private void OnThemeChanged(ThemeChangedEventArgs e)
        {
            ThreadHelper.JoinableTaskFactory.RunAsync(async () =>
            {
                await ThreadHelper.JoinableTaskFactory.SwitchToMainThreadAsync();
                await _view.ApplyThemeAsync(VsTheme.Current());
            }).FileAndForget("TraceIde/window/theme");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                VSColorTheme.ThemeChanged -= OnThemeChanged;
                _view.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
