using TraceIde.VisualStudio.Core.Theming;
using TraceIde.VisualStudio.Core.Webview;

namespace TraceIde.VisualStudio.Tests;

public sealed class ThemeMapperTests
{
    // Samples: VS 2022 Light, Dark and a Windows high-contrast theme (tool window colours as VS reports them).
    private static Dictionary<string, ThemeColor> Light() => new()
    {
        ["EnvironmentColors.ToolWindowBackground"] = ThemeColor.Parse("#f5f5f5"),
        ["EnvironmentColors.ToolWindowText"] = ThemeColor.Parse("#1e1e1e"),
        ["CommonControlsColors.ButtonDefault"] = ThemeColor.Parse("#5649b0"),
        ["TreeViewColors.SelectedItemActive"] = ThemeColor.Parse("#3399ff"),
    };

    private static Dictionary<string, ThemeColor> Dark() => new()
    {
        ["EnvironmentColors.ToolWindowBackground"] = ThemeColor.Parse("#1f1f1f"),
        ["EnvironmentColors.ToolWindowText"] = ThemeColor.Parse("#f1f1f1"),
        ["CommonControlsColors.TextBoxBackground"] = ThemeColor.Parse("#333337"),
        ["EnvironmentColors.CommandBarMouseOverBackgroundBegin"] = ThemeColor.Parse("#3e3e4080"),
    };

    [Fact]
    public void Light_theme_maps_the_table_and_keeps_light_defaults_for_the_rest()
    {
        var theme = ThemeMapper.Map(Light(), systemHighContrast: false);
        Assert.Equal(ThemeKind.Light, theme.Kind);
        Assert.Equal("vscode-light", theme.BodyClass);
        Assert.Equal("#f5f5f5", theme.Variables["--vscode-editor-background"]);
        Assert.Equal("#f5f5f5", theme.Variables["--vscode-sideBar-background"]);
        Assert.Equal("#1e1e1e", theme.Variables["--vscode-foreground"]);
        Assert.Equal("#5649b0", theme.Variables["--vscode-button-background"]);
        Assert.Equal("#3399ff", theme.Variables["--vscode-list-activeSelectionBackground"]);
        Assert.Equal("#a1260d", theme.Variables["--vscode-errorForeground"]); // Light+ default
    }

    [Fact]
    public void Dark_theme_is_detected_from_the_background_and_alpha_becomes_rgba()
    {
        var theme = ThemeMapper.Map(Dark(), systemHighContrast: false);
        Assert.Equal(ThemeKind.Dark, theme.Kind);
        Assert.Equal("vscode-dark", theme.BodyClass);
        Assert.Equal("#1f1f1f", theme.Variables["--vscode-editor-background"]);
        Assert.Equal("#333337", theme.Variables["--vscode-input-background"]);
        Assert.Equal("rgba(62, 62, 64, 0.502)", theme.Variables["--vscode-list-hoverBackground"]);
        Assert.Equal("#f48771", theme.Variables["--vscode-errorForeground"]); // Dark+ default
    }

    [Fact]
    public void High_contrast_wins_over_the_background_and_uses_high_contrast_defaults()
    {
        var theme = ThemeMapper.Map(
            new Dictionary<string,
            ThemeColor> { ["EnvironmentColors.ToolWindowBackground"] = ThemeColor.Parse("#000000") },
            systemHighContrast: true);
        Assert.Equal(ThemeKind.HighContrast, theme.Kind);
        Assert.Equal("vscode-high-contrast", theme.BodyClass);
        Assert.Equal("#f38518", theme.Variables["--vscode-focusBorder"]);
        Assert.Equal("#6fc3df", theme.Variables["--vscode-panel-border"]);
        Assert.Equal(ThemeKind.HighContrast, ThemeMapper.Map(Light(), systemHighContrast: true).Kind);
    }

    [Theory]
    [InlineData(ThemeKind.Light)]
    [InlineData(ThemeKind.Dark)]
    [InlineData(ThemeKind.HighContrast)]
    public void Every_variable_the_web_UI_uses_has_a_value_in_every_kind(ThemeKind kind)
    {
        var used = UsedVariables();
        Assert.NotEmpty(used);
        var defaults = ThemeMapper.Defaults(kind);
        // A variable the UI starts using needs a default here (ThemeMapper.Defaults) and, if VS has a matching colour, a Table row.
        Assert.DoesNotContain(used, v => !defaults.ContainsKey(v));
        // And every variable the table sets is one the UI uses.
        Assert.DoesNotContain(ThemeMapper.Table.SelectMany(e => e.CssVariables), v => !used.Contains(v) && v != "--vscode-textLink-foreground");
    }

    [Fact]
    public void Css_is_sorted_custom_properties_and_the_font_is_sanitised()
    {
        var theme = ThemeMapper.Map(Light(), false, fontFamily: "Segoe UI\";}body{x", fontSizePx: 12.5);
        var css = theme.ToCss();
        Assert.StartsWith(":root {", css);
        Assert.Contains("--vscode-font-size: 12.5px;", css);
        Assert.Contains("--vscode-font-family: \"Segoe UIbodyx\", \"Segoe UI\", sans-serif;", css);
        Assert.Equal(1, css.Count(c => c == '}'));
    }

    [Fact]
    public void The_bootstrap_script_defines_acquireVsCodeApi_and_applies_the_theme()
    {
        var theme = ThemeMapper.Map(Dark(), false);
        var script = WebviewBootstrap.Script(theme);
        Assert.Contains("window.acquireVsCodeApi = () => api;", script);
        Assert.Contains("wv.postMessage(m)", script);
        Assert.Contains("new MessageEvent(\"message\", { data: e.data })", script);
        Assert.Contains("\"vscode-dark\"", script);
        Assert.Contains("--vscode-editor-background: #1f1f1f;", script);
        Assert.True(WebviewBootstrap.IsTrustedSource(WebviewBootstrap.EntryUrl));
        Assert.False(WebviewBootstrap.IsTrustedSource("https://evil.example/index.html"));
        Assert.False(WebviewBootstrap.IsTrustedSource("http://traceide.example/index.html"));
        Assert.False(WebviewBootstrap.IsTrustedSource(null));
    }

    [Fact]
    public void A_view_asked_of_the_tool_window_is_the_bundle_with_that_PanelView_in_its_URL()
    {
        var url = WebviewBootstrap.EntryUrlFor(new TraceIde.Protocol.PanelView
        {
            View = TraceIde.Protocol.PanelViews.Trace,
            TraceId = "tr-1&x=\"<",
            SpanId = "00000000000000a1"
        });
        Assert.StartsWith(WebviewBootstrap.EntryUrl + "?view=", url);
        Assert.True(WebviewBootstrap.IsTrustedSource(url));
        var json = Uri.UnescapeDataString(new Uri(url).Query["?view=".Length..]);
        // The shape webview/src/panel-view.ts reads: camelCase, nulls left out.
        Assert.Equal("""{"view":"trace","traceId":"tr-1\u0026x=\u0022\u003C","spanId":"00000000000000a1"}""", json);
    }

    [Fact]
    public void The_page_WebView2_loads_has_a_CSP_the_theme_script_does_not_need_to_break()
    {
        // WebView2 serves the bundle's index.html as it is, so the page's own meta policy is the only one.
        var html = File.ReadAllText(Path.Combine(TraceIde.Testing.Fixtures.RepoRoot, "webview", "index.html"));
        var csp = System.Text.RegularExpressions.Regex.Match(html, "http-equiv=\"Content-Security-Policy\" content=\"([^\"]+)\"").Groups[1].Value;
        var directives = csp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToArray());
        Assert.Equal(["'none'"], directives["default-src"]);
        Assert.Equal(["'self'"], directives["script-src"]);
        Assert.Equal(["'self'"], directives["style-src"]);
        Assert.DoesNotContain("unsafe", csp);
        // So the theme goes in as a constructed stylesheet (allowed), never as an inline <style> (refused).
        var script = WebviewBootstrap.Script(ThemeMapper.Map(Dark(), false));
        Assert.Contains("document.adoptedStyleSheets", script);
        Assert.DoesNotContain("createElement(\"style\")", script);
    }

    /// <summary>The `--vscode-*` names used by webview/src (CSS and TS).</summary>
    private static HashSet<string> UsedVariables()
    {
        var src = Path.Combine(TraceIde.Testing.Fixtures.RepoRoot, "webview", "src");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(src, "*.*", SearchOption.AllDirectories).Where(f => f.EndsWith(".css") || f.EndsWith(".ts")))
        {
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), "--vscode-[A-Za-z0-9-]+"))
                names.Add(m.Value.TrimEnd('-'));
        }
        return names;
    }
}
