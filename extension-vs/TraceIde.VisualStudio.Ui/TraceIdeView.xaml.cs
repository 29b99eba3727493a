using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using System.Windows;
using System.Windows.Controls;
using Microsoft.Web.WebView2.Core;
using TraceIde.Protocol;
using TraceIde.VisualStudio.Core.Relay;
using TraceIde.VisualStudio.Core.Rpc;
using TraceIde.VisualStudio.Core.Theming;
using TraceIde.VisualStudio.Core.Webview;

namespace TraceIde.VisualStudio.Ui
{
    /// <summary>
    /// WebView2 showing the webview/ bundle from a virtual host, with a document-created script that gives the
    /// page `acquireVsCodeApi()` (so webview/src/transport.ts uses its PostMessageTransport), and the bridge
    /// WebMessageReceived → <see cref="WebviewRelay"/> → PostWebMessageAsJson. No logic beyond wiring. It is also
    /// the relay's <see cref="IIdeViews"/>: the one tool window shows the view an IDE method asks for (a trace, the
    /// Overview, the list) by loading the bundle with that view (WebviewBootstrap.EntryUrlFor).
    /// </summary>
    public partial class TraceIdeView : UserControl, IDisposable, IIdeViews
    {
        private WebviewRelay? _relay;
        private bool _disposed;

        public TraceIdeView()
        {
            InitializeComponent();
        }

        /// <param name="host">The host (HostProcessManager), shared by the package.</param>
        /// <param name="navigator">Opens a document at a line (the shell's implementation).</param>
        /// <param name="bundleFolder">The folder holding index.html, main.js, main.css (webview/dist, shipped in the VSIX).</param>
        /// <param name="userDataFolder">WebView2's profile folder (per user, e.g. %LocalAppData%\TraceIde\WebView2).</param>
        /// <param name="theme">The initial theme (ThemeMapper.Map over VS colours).</param>
        public async Task InitializeAsync(IHostRpc host, INavigator navigator, string bundleFolder, string userDataFolder, ThemeCss theme)
        {
            if (!File.Exists(Path.Combine(bundleFolder, "index.html")))
            {
                ShowStatus($"The TraceIde UI bundle is missing ({bundleFolder}\\index.html). Rebuild the extension (webview: npm run build).");
                return;
            }
            CoreWebView2Environment environment;
            try
            {
                environment = await CoreWebView2Environment.CreateAsync(null, userDataFolder);
                await WebView.EnsureCoreWebView2Async(environment);
            }
            catch (WebView2RuntimeNotFoundException)
            {
                ShowStatus("TraceIde needs the Microsoft Edge WebView2 Runtime (https://developer.microsoft.com/microsoft-edge/webview2/).");
                return;
            }

            var core = WebView.CoreWebView2;
            core.Settings.AreDefaultContextMenusEnabled = false;
            core.Settings.IsStatusBarEnabled = false;
            core.Settings.IsZoomControlEnabled = true;
#if !DEBUG
            core.Settings.AreDevToolsEnabled = false;
#endif
            core.SetVirtualHostNameToFolderMapping(WebviewBootstrap.VirtualHost, bundleFolder, CoreWebView2HostResourceAccessKind.Deny);
            core.NavigationStarting += OnNavigationStarting;
            core.NewWindowRequested += (_, e) => e.Handled = true; // no pop-ups
            await core.AddScriptToExecuteOnDocumentCreatedAsync(WebviewBootstrap.Script(theme));

            _relay = new WebviewRelay(host, navigator, new WpfClipboard(Dispatcher), PostAsync, this);
            core.WebMessageReceived += OnWebMessageReceived;
            core.Navigate(WebviewBootstrap.EntryUrl);
        }

        /// <summary>Loads the page again with the view it shows (after the host reconnected to its backend).</summary>
        public Task ReloadAsync() => Dispatcher.InvokeAsync(() =>
        {
            _relay?.PageReloading(); // the old page's answers must not reach the new one
            WebView.CoreWebView2?.Reload();
        }).Task;

        /// <summary>VS theme changed (VSColorTheme.ThemeChanged): re-apply the variables without reloading.</summary>
        public async Task ApplyThemeAsync(ThemeCss theme)
        {
            if (WebView.CoreWebView2 == null) return;
            await WebView.CoreWebView2.ExecuteScriptAsync(WebviewBootstrap.ApplyThemeScript(theme));
        }

        private void OnNavigationStarting(object? sender, CoreWebView2NavigationStartingEventArgs e)
        {
            if (!WebviewBootstrap.IsTrustedSource(e.Uri)) e.Cancel = true;
        }

        private void OnWebMessageReceived(object? sender, CoreWebView2WebMessageReceivedEventArgs e)
        {
            if (_relay == null || !WebviewBootstrap.IsTrustedSource(e.Source)) return;
            var json = e.WebMessageAsJson;
            _ = Task.Run(() => _relay.HandleMessageAsync(json));
        }

        private Task PostAsync(string json)
        {
            return Dispatcher.InvokeAsync(() =>
            {
                if (!_disposed && WebView.CoreWebView2 != null) WebView.CoreWebView2.PostWebMessageAsJson(json);
            }).Task;
        }

        public Task<SourceLocation?> ChooseAsync(IReadOnlyList<SourceLocation> locations, string placeholder, CancellationToken cancellationToken) =>
            Dispatcher.InvokeAsync(() => LocationChooser.Show(Window.GetWindow(this), locations, placeholder)).Task;

        /// <summary>Visual Studio has no search of its own here yet: the host's `source/locate` is the only evidence.</summary>
        public Task<IReadOnlyList<SourceLocation>> FindDefinitionsAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<SourceLocation>>(Array.Empty<SourceLocation>());

        public Task OpenTraceAsync(string traceId, string? spanId, CancellationToken cancellationToken) =>
            ShowViewAsync(new PanelView { View = PanelViews.Trace, TraceId = traceId, SpanId = spanId });

        public Task OpenOverviewAsync(IReadOnlyList<string>? experimentIds, CancellationToken cancellationToken) =>
            ShowViewAsync(new PanelView { View = PanelViews.Overview, ExperimentIds = experimentIds });

        public Task RevealPanelAsync(CancellationToken cancellationToken) => ShowViewAsync(new PanelView { View = PanelViews.List });

        private Task ShowViewAsync(PanelView view) =>
            Dispatcher.InvokeAsync(() => WebView.CoreWebView2?.Navigate(WebviewBootstrap.EntryUrlFor(view))).Task;

        private void ShowStatus(string message)
        {
            Status.Text = message;
            Status.Visibility = Visibility.Visible;
            WebView.Visibility = Visibility.Collapsed;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _relay?.Dispose();
            WebView.Dispose();
        }
    }
}
