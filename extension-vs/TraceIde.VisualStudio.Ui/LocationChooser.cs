using System;
using System.Collections.Generic;
using System.Linq;
using System.Windows;
using System.Windows.Controls;
using System.Windows.Input;
using TraceIde.Protocol;

namespace TraceIde.VisualStudio.Ui
{
    /// <summary>
    /// The choice among ambiguous locations (what VS Code shows as a quick pick): best first, with the host's
    /// confidence and reason; Enter or a double click opens, Escape dismisses.
    /// </summary>
    internal static class LocationChooser
    {
        public static SourceLocation? Show(Window? owner, IReadOnlyList<SourceLocation> locations, string title)
        {
            var list = new ListBox
            {
                ItemsSource = locations.Select(l => $"{l.Path}:{l.Line}    {Math.Round(l.Confidence * 100)}%    {l.Reason}").ToList(),
                SelectedIndex = 0,
            };
            var window = new Window
            {
                Title = title,
                Owner = owner,
                Width = 720,
                Height = 320,
                WindowStartupLocation = owner != null ? WindowStartupLocation.CenterOwner : WindowStartupLocation.CenterScreen,
                ShowInTaskbar = false,
                Content = list,
            };
            SourceLocation? chosen = null;
            void Choose()
            {
                if (list.SelectedIndex < 0) return;
                chosen = locations[list.SelectedIndex];
                window.Close();
            }
            list.MouseDoubleClick += (_, _) => Choose();
            list.KeyDown += (_, e) =>
            {
                if (e.Key == Key.Enter) Choose();
                else if (e.Key == Key.Escape) window.Close();
            };
            window.Loaded += (_, _) => list.Focus();
            window.ShowDialog();
            return chosen;
        }
    }
}
