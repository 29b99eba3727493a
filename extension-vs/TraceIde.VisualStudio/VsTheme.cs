using System.Collections.Generic;
using System.Reflection;
using System.Windows;
using Microsoft.VisualStudio.PlatformUI;
using Microsoft.VisualStudio.Shell;
using TraceIde.VisualStudio.Core.Theming;

namespace TraceIde.VisualStudio
{
    /// <summary>Reads the colours ThemeMapper.Table names (`Class.Name` → Class.NameColorKey) and maps them.</summary>
    internal static class VsTheme
    {
        private static readonly Dictionary<string, System.Type> Classes = new Dictionary<string, System.Type>
        {
            ["EnvironmentColors"] = typeof(EnvironmentColors),
            ["CommonControlsColors"] = typeof(CommonControlsColors),
            ["TreeViewColors"] = typeof(TreeViewColors),
        };

        public static ThemeCss Current()
        {
            ThreadHelper.ThrowIfNotOnUIThread();
            var colors = new Dictionary<string, ThemeColor>();
            foreach (var key in ThemeMapper.VsKeys)
            {
                var dot = key.IndexOf('.');
                if (!Classes.TryGetValue(key.Substring(0, dot), out var type)) continue;
                var property = type.GetProperty(key.Substring(dot + 1) + "ColorKey", BindingFlags.Public | BindingFlags.Static);
                if (property?.GetValue(null) is ThemeResourceKey resourceKey)
                {
                    var c = VSColorTheme.GetThemedColor(resourceKey);
                    colors[key] = new ThemeColor(c.R, c.G, c.B, c.A);
                }
            }
            var font = System.Windows.Application.Current?.TryFindResource(VsFonts.EnvironmentFontFamilyKey) as System.Windows.Media.FontFamily;
            var size = System.Windows.Application.Current?.TryFindResource(VsFonts.EnvironmentFontSizeKey) as double?;
            return ThemeMapper.Map(colors, SystemParameters.HighContrast, font?.Source, size);
        }
    }
}
