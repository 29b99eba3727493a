using System.Globalization;
using System.Text;

namespace TraceIde.VisualStudio.Core.Theming;

public enum ThemeKind
{
    Light,
    Dark,
    HighContrast,
}

/// <summary>An sRGB colour with alpha (what VSColorTheme.GetThemedColor returns, as a System.Drawing.Color).</summary>
public readonly struct ThemeColor : IEquatable<ThemeColor>
{
    public ThemeColor(byte r, byte g, byte b, byte a = 255)
    {
        R = r; G = g; B = b; A = a;
    }

    public byte R { get; }
    public byte G { get; }
    public byte B { get; }
    public byte A { get; }

    /// <summary>Relative luminance (WCAG), 0..1.</summary>
    public double Luminance
    {
        get
        {
            static double Channel(byte c)
            {
                var v = c / 255.0;
                return v <= 0.03928 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
            }
            return 0.2126 * Channel(R) + 0.7152 * Channel(G) + 0.0722 * Channel(B);
        }
    }

    public string ToCss() => A == 255
        ? $"#{R:x2}{G:x2}{B:x2}"
        : string.Format(CultureInfo.InvariantCulture, "rgba({0}, {1}, {2}, {3:0.###})", R, G, B, A / 255.0);

    public static ThemeColor Parse(string hex)
    {
        var h = hex.TrimStart('#');
        byte At(int i) => byte.Parse(h.Substring(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return h.Length switch
        {
            6 => new ThemeColor(At(0), At(2), At(4)),
            8 => new ThemeColor(At(0), At(2), At(4), At(6)),
            _ => throw new FormatException("Expected #rrggbb or #rrggbbaa: " + hex),
        };
    }

    public bool Equals(ThemeColor other) => R == other.R && G == other.G && B == other.B && A == other.A;
    public override bool Equals(object? obj) => obj is ThemeColor c && Equals(c);
    public override int GetHashCode() => (R << 24) | (G << 16) | (B << 8) | A;
    public override string ToString() => ToCss();
}

/// <summary>The result: CSS custom properties for `:root` and the body class VS Code itself sets.</summary>
public sealed class ThemeCss
{
    public ThemeCss(ThemeKind kind, IReadOnlyDictionary<string, string> variables)
    {
        Kind = kind;
        Variables = variables;
    }

    public ThemeKind Kind { get; }
    public IReadOnlyDictionary<string, string> Variables { get; }

    /// <summary>`vscode-light`, `vscode-dark` or `vscode-high-contrast` (what the UI's CSS keys on, like in VS Code).</summary>
    public string BodyClass => Kind switch
    {
        ThemeKind.Dark => "vscode-dark",
        ThemeKind.HighContrast => "vscode-high-contrast",
        _ => "vscode-light",
    };

    /// <summary>`:root { --vscode-…: …; }`, variables sorted by name.</summary>
    public string ToCss()
    {
        var sb = new StringBuilder(":root {\n");
        foreach (var pair in Variables.OrderBy(p => p.Key, StringComparer.Ordinal))
            sb.Append("  ").Append(pair.Key).Append(": ").Append(pair.Value).Append(";\n");
        sb.Append('}');
        return sb.ToString();
    }
}

/// <summary>
/// Visual Studio theme colours → the web UI's `--vscode-*` CSS variables. A pure function over a table:
/// the shell looks up each <see cref="Table"/> key (`Class.Name` = `Microsoft.VisualStudio.PlatformUI.Class.NameColorKey`)
/// with VSColorTheme.GetThemedColor and passes what it found; variables with no VS colour get the
/// VS Code default of the same theme kind (<see cref="Defaults"/>).
/// </summary>
public static class ThemeMapper
{
    /// <summary>VS colour key → the CSS variables it sets. First entry naming a variable wins.</summary>
    public static readonly IReadOnlyList<(string VsKey, string[] CssVariables)> Table =
    [
        ("EnvironmentColors.ToolWindowBackground", ["--vscode-editor-background", "--vscode-sideBar-background"]),
        ("EnvironmentColors.ToolWindowText", ["--vscode-foreground"]),
        ("EnvironmentColors.ToolWindowBorder", ["--vscode-panel-border"]),
        ("EnvironmentColors.SystemGrayText", ["--vscode-descriptionForeground"]),
        ("EnvironmentColors.ControlLinkText", ["--vscode-textLink-foreground"]),
        ("EnvironmentColors.CommandBarMouseOverBackgroundBegin", ["--vscode-list-hoverBackground"]),
        ("CommonControlsColors.TextBoxBackground", ["--vscode-input-background", "--vscode-settings-textInputBackground"]),
        ("CommonControlsColors.TextBoxText", ["--vscode-input-foreground", "--vscode-settings-textInputForeground"]),
        ("CommonControlsColors.TextBoxBorder", ["--vscode-input-border"]),
        ("CommonControlsColors.ButtonDefault", ["--vscode-button-background"]),
        ("CommonControlsColors.ButtonDefaultText", ["--vscode-button-foreground"]),
        ("CommonControlsColors.Button", ["--vscode-button-secondaryBackground"]),
        ("CommonControlsColors.ButtonText", ["--vscode-button-secondaryForeground"]),
        ("CommonControlsColors.FocusVisual", ["--vscode-focusBorder"]),
        ("TreeViewColors.SelectedItemActive", ["--vscode-list-activeSelectionBackground"]),
        ("TreeViewColors.SelectedItemActiveText", ["--vscode-list-activeSelectionForeground"]),
    ];

    /// <summary>Every VS key the shell should look up.</summary>
    public static IEnumerable<string> VsKeys => Table.Select(e => e.VsKey);

    /// <summary>VS Code's own Light+/Dark+/High Contrast values for every variable the UI uses.</summary>
    public static IReadOnlyDictionary<string, string> Defaults(ThemeKind kind) => kind switch
    {
        ThemeKind.Dark => DarkDefaults,
        ThemeKind.HighContrast => HighContrastDefaults,
        _ => LightDefaults,
    };

    /// <summary>Dark when the tool window background is dark; high contrast when Windows says so (SystemParameters.HighContrast).</summary>
    public static ThemeKind DetectKind(ThemeColor toolWindowBackground, bool systemHighContrast) =>
        systemHighContrast ? ThemeKind.HighContrast
        : toolWindowBackground.Luminance < 0.35 ? ThemeKind.Dark
        : ThemeKind.Light;

    /// <param name="vsColors">The colours the shell found, by <see cref="Table"/> key (missing keys are fine).</param>
    /// <param name="systemHighContrast">Windows high-contrast mode.</param>
    /// <param name="fontFamily">VS's environment font (optional).</param>
    /// <param name="fontSizePx">Its size in CSS pixels (optional).</param>
    public static ThemeCss Map(IReadOnlyDictionary<string, ThemeColor> vsColors, bool systemHighContrast, string? fontFamily = null, double? fontSizePx = null)
    {
        var background = vsColors.TryGetValue("EnvironmentColors.ToolWindowBackground", out var bg) ? bg : new ThemeColor(255, 255, 255);
        var kind = DetectKind(background, systemHighContrast);
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Defaults(kind)) vars[pair.Key] = pair.Value;
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (vsKey, cssVariables) in Table)
        {
            if (!vsColors.TryGetValue(vsKey, out var color)) continue;
            foreach (var css in cssVariables)
            {
                if (set.Add(css)) vars[css] = color.ToCss();
            }
        }
        if (!string.IsNullOrWhiteSpace(fontFamily)) vars["--vscode-font-family"] = CssFontFamily(fontFamily!);
        if (fontSizePx is > 0) vars["--vscode-font-size"] = string.Format(CultureInfo.InvariantCulture, "{0:0.##}px", fontSizePx.Value);
        return new ThemeCss(kind, vars);
    }

    private static string CssFontFamily(string family)
    {
        var clean = new string(family.Where(c => c != '"' && c != ';' && c != '\\' && c != '<' && c != '>' && c != '{' && c != '}').ToArray());
        return $"\"{clean}\", \"Segoe UI\", sans-serif";
    }

    private static readonly Dictionary<string, string> Common = new(StringComparer.Ordinal)
    {
        ["--vscode-font-family"] = "\"Segoe UI\", sans-serif",
        ["--vscode-font-size"] = "12px",
        ["--vscode-editor-font-family"] = "Consolas, \"Courier New\", monospace",
    };

    private static Dictionary<string, string> With(Dictionary<string, string> values)
    {
        foreach (var pair in Common) values[pair.Key] = pair.Value;
        return values;
    }

    private static readonly IReadOnlyDictionary<string, string> LightDefaults = With(new(StringComparer.Ordinal)
    {
        ["--vscode-editor-background"] = "#ffffff",
        ["--vscode-sideBar-background"] = "#f3f3f3",
        ["--vscode-foreground"] = "#616161",
        ["--vscode-descriptionForeground"] = "#717171",
        ["--vscode-errorForeground"] = "#a1260d",
        ["--vscode-focusBorder"] = "#0090f1",
        ["--vscode-sash-hoverBorder"] = "#0090f1", // VS Code: the focus border
        ["--vscode-editorWarning-foreground"] = "#bf8803",
        // Only high-contrast themes draw contrast borders (the UI uses them under body.vscode-high-contrast).
        ["--vscode-contrastBorder"] = "transparent",
        ["--vscode-contrastActiveBorder"] = "transparent",
        ["--vscode-panel-border"] = "#80808059",
        ["--vscode-input-background"] = "#ffffff",
        ["--vscode-input-foreground"] = "#616161",
        ["--vscode-input-border"] = "#cecece",
        ["--vscode-inputValidation-errorBackground"] = "#f2dede",
        ["--vscode-button-background"] = "#007acc",
        ["--vscode-button-foreground"] = "#ffffff",
        ["--vscode-button-secondaryBackground"] = "#5f6a79",
        ["--vscode-button-secondaryForeground"] = "#ffffff",
        ["--vscode-button-hoverBackground"] = "#0062a3",
        ["--vscode-button-secondaryHoverBackground"] = "#4c5561",
        ["--vscode-button-border"] = "transparent",
        ["--vscode-settings-textInputBackground"] = "#ffffff",
        ["--vscode-settings-textInputForeground"] = "#616161",
        ["--vscode-list-hoverBackground"] = "#e8e8e8",
        ["--vscode-list-activeSelectionBackground"] = "#0060c0",
        ["--vscode-list-activeSelectionForeground"] = "#ffffff",
        ["--vscode-textLink-foreground"] = "#006ab1",
        ["--vscode-textCodeBlock-background"] = "#dcdcdc66",
        ["--vscode-testing-iconPassed"] = "#388a34",
        ["--vscode-symbolIcon-propertyForeground"] = "#652d90",
        ["--vscode-debugTokenExpression-string"] = "#a31515",
        ["--vscode-debugTokenExpression-number"] = "#098658",
        ["--vscode-charts-blue"] = "#1a85ff",
        ["--vscode-charts-orange"] = "#d18616",
        ["--vscode-charts-green"] = "#388a34",
        ["--vscode-charts-purple"] = "#652d90",
        ["--vscode-charts-red"] = "#e51400",
        ["--vscode-charts-yellow"] = "#bf8803",
    });

    private static readonly IReadOnlyDictionary<string, string> DarkDefaults = With(new(StringComparer.Ordinal)
    {
        ["--vscode-editor-background"] = "#1e1e1e",
        ["--vscode-sideBar-background"] = "#252526",
        ["--vscode-foreground"] = "#cccccc",
        ["--vscode-descriptionForeground"] = "#ccccccb3",
        ["--vscode-errorForeground"] = "#f48771",
        ["--vscode-focusBorder"] = "#007fd4",
        ["--vscode-sash-hoverBorder"] = "#007fd4", // VS Code: the focus border
        ["--vscode-editorWarning-foreground"] = "#cca700",
        // Only high-contrast themes draw contrast borders (the UI uses them under body.vscode-high-contrast).
        ["--vscode-contrastBorder"] = "transparent",
        ["--vscode-contrastActiveBorder"] = "transparent",
        ["--vscode-panel-border"] = "#80808059",
        ["--vscode-input-background"] = "#3c3c3c",
        ["--vscode-input-foreground"] = "#cccccc",
        ["--vscode-input-border"] = "#3c3c3c",
        ["--vscode-inputValidation-errorBackground"] = "#5a1d1d",
        ["--vscode-button-background"] = "#0e639c",
        ["--vscode-button-foreground"] = "#ffffff",
        ["--vscode-button-secondaryBackground"] = "#3a3d41",
        ["--vscode-button-secondaryForeground"] = "#ffffff",
        ["--vscode-button-hoverBackground"] = "#1177bb",
        ["--vscode-button-secondaryHoverBackground"] = "#45494e",
        ["--vscode-button-border"] = "transparent",
        ["--vscode-settings-textInputBackground"] = "#3c3c3c",
        ["--vscode-settings-textInputForeground"] = "#cccccc",
        ["--vscode-list-hoverBackground"] = "#2a2d2e",
        ["--vscode-list-activeSelectionBackground"] = "#04395e",
        ["--vscode-list-activeSelectionForeground"] = "#ffffff",
        ["--vscode-textLink-foreground"] = "#3794ff",
        ["--vscode-textCodeBlock-background"] = "#0a0a0a66",
        ["--vscode-testing-iconPassed"] = "#73c991",
        ["--vscode-symbolIcon-propertyForeground"] = "#b180d7",
        ["--vscode-debugTokenExpression-string"] = "#ce9178",
        ["--vscode-debugTokenExpression-number"] = "#b5cea8",
        ["--vscode-charts-blue"] = "#3794ff",
        ["--vscode-charts-orange"] = "#d18616",
        ["--vscode-charts-green"] = "#89d185",
        ["--vscode-charts-purple"] = "#b180d7",
        ["--vscode-charts-red"] = "#f14c4c",
        ["--vscode-charts-yellow"] = "#cca700",
    });

    private static readonly IReadOnlyDictionary<string, string> HighContrastDefaults = With(new(StringComparer.Ordinal)
    {
        ["--vscode-editor-background"] = "#000000",
        ["--vscode-sideBar-background"] = "#000000",
        ["--vscode-foreground"] = "#ffffff",
        ["--vscode-descriptionForeground"] = "#ffffff",
        ["--vscode-errorForeground"] = "#f48771",
        ["--vscode-focusBorder"] = "#f38518",
        ["--vscode-sash-hoverBorder"] = "#f38518", // VS Code: the focus border
        ["--vscode-editorWarning-foreground"] = "#ffd370",
        ["--vscode-contrastBorder"] = "#6fc3df",
        ["--vscode-contrastActiveBorder"] = "#f38518",
        ["--vscode-panel-border"] = "#6fc3df",
        ["--vscode-input-background"] = "#000000",
        ["--vscode-input-foreground"] = "#ffffff",
        ["--vscode-input-border"] = "#6fc3df",
        ["--vscode-inputValidation-errorBackground"] = "#000000",
        ["--vscode-button-background"] = "#000000",
        ["--vscode-button-foreground"] = "#ffffff",
        ["--vscode-button-secondaryBackground"] = "#000000",
        ["--vscode-button-secondaryForeground"] = "#ffffff",
        ["--vscode-button-hoverBackground"] = "#000000",
        ["--vscode-button-secondaryHoverBackground"] = "#000000",
        ["--vscode-button-border"] = "#6fc3df",
        ["--vscode-settings-textInputBackground"] = "#000000",
        ["--vscode-settings-textInputForeground"] = "#ffffff",
        ["--vscode-list-hoverBackground"] = "#000000",
        ["--vscode-list-activeSelectionBackground"] = "#000000",
        ["--vscode-list-activeSelectionForeground"] = "#ffffff",
        ["--vscode-textLink-foreground"] = "#21a6ff",
        ["--vscode-textCodeBlock-background"] = "#000000",
        ["--vscode-testing-iconPassed"] = "#73c991",
        ["--vscode-symbolIcon-propertyForeground"] = "#ffffff",
        ["--vscode-debugTokenExpression-string"] = "#f48771",
        ["--vscode-debugTokenExpression-number"] = "#89d185",
        ["--vscode-charts-blue"] = "#3794ff",
        ["--vscode-charts-orange"] = "#d18616",
        ["--vscode-charts-green"] = "#89d185",
        ["--vscode-charts-purple"] = "#b180d7",
        ["--vscode-charts-red"] = "#f14c4c",
        ["--vscode-charts-yellow"] = "#cca700",
    });
}
