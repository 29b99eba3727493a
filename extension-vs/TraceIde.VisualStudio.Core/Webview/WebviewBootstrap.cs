using System.Text.Json;
using TraceIde.VisualStudio.Core.Theming;

namespace TraceIde.VisualStudio.Core.Webview;

/// <summary>
/// What the WebView2 control needs besides the relay: where the bundle is served from, and the script run
/// before the page's own (AddScriptToExecuteOnDocumentCreatedAsync) that makes WebView2 look like a
/// VS Code webview to webview/src/transport.ts: `acquireVsCodeApi()` → postMessage through
/// `chrome.webview`, and host messages re-dispatched as window `message` events.
/// </summary>
public static class WebviewBootstrap
{
    /// <summary>Virtual host mapped to the bundle folder (CoreWebView2.SetVirtualHostNameToFolderMapping, access Deny for other origins).</summary>
    public const string VirtualHost = "traceide.example";

    public static string EntryUrl => $"https://{VirtualHost}/index.html";

    /// <summary>The bundle mounted as <paramref name="view"/> (the page reads `?view=` as it reads VS Code's `data-traceide-view`).</summary>
    public static string EntryUrlFor(TraceIde.Protocol.PanelView view) =>
        $"{EntryUrl}?view={Uri.EscapeDataString(JsonSerializer.Serialize(view, Rpc.ContractJson.Options))}";

    /// <summary>Only pages from the bundle may talk to the relay (WebMessageReceived checks e.Source against this).</summary>
    public static bool IsTrustedSource(string? source) =>
        source != null && Uri.TryCreate(source, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttps && string.Equals(uri.Host, VirtualHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>The document-created script, with the initial theme.</summary>
    public static string Script(ThemeCss theme) =>
        """
        (() => {
          const wv = window.chrome && window.chrome.webview;
          if (!wv) return;
          let state;
          const api = Object.freeze({
            postMessage: (m) => wv.postMessage(m),
            getState: () => state,
            setState: (s) => { state = s; return s; },
          });
          window.acquireVsCodeApi = () => api;
          wv.addEventListener("message", (e) => window.dispatchEvent(new MessageEvent("message", { data: e.data })));
          // A constructed stylesheet, not a <style> element: the page's CSP (style-src 'self') refuses inline styles.
          const sheet = new CSSStyleSheet();
          window.__traceIdeApplyTheme = (css, bodyClass) => {
            const apply = () => {
              sheet.replaceSync(css);
              if (!document.adoptedStyleSheets.includes(sheet)) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
              document.body.classList.remove("vscode-light", "vscode-dark", "vscode-high-contrast");
              document.body.classList.add(bodyClass);
            };
            if (document.body) apply(); else document.addEventListener("DOMContentLoaded", apply, { once: true });
          };
        """ + "\n  " + ApplyThemeCall(theme) + "\n})();\n";

    /// <summary>Script for a theme change while the page is open (CoreWebView2.ExecuteScriptAsync).</summary>
    public static string ApplyThemeScript(ThemeCss theme) => "window.__traceIdeApplyTheme && " + ApplyThemeCall(theme);

    private static string ApplyThemeCall(ThemeCss theme) =>
        $"window.__traceIdeApplyTheme({JsonSerializer.Serialize(theme.ToCss())}, {JsonSerializer.Serialize(theme.BodyClass)});";
}
