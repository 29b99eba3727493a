using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.VisualStudio.Shell;
using Microsoft.VisualStudio.TextManager.Interop;
using TraceIde.VisualStudio.Core.Relay;

namespace TraceIde.VisualStudio
{
    /// <summary>`ide/openFile`: opens the document and puts the caret on the line (1-based in, 0-based for VS).</summary>
    internal sealed class VsNavigator : INavigator
    {
        private readonly AsyncPackage _package;

        public VsNavigator(AsyncPackage package) => _package = package;

        public bool FileExists(string path) => File.Exists(path);

        public async Task<bool> OpenFileAsync(string path, int line, int? column, CancellationToken cancellationToken)
        {
            if (!File.Exists(path)) return false;
            await _package.JoinableTaskFactory.SwitchToMainThreadAsync(cancellationToken);
            VsShellUtilities.OpenDocument(_package, path, Guid.Empty, out _, out _, out _, out IVsTextView view);
            if (view != null)
            {
                var zeroLine = Math.Max(0, line - 1);
                view.SetCaretPos(zeroLine, Math.Max(0, (column ?? 1) - 1));
                view.CenterLines(zeroLine, 1);
            }
            return true;
        }

        /// <summary>
        /// A file of its own in the temp folder, opened as a document: Visual Studio has no untitled buffer an
        /// extension can fill and name, and a file keeps the span's name in the tab and the Save As default.
        /// </summary>
        public async Task OpenTextAsync(string text, string fileName, string language, CancellationToken cancellationToken)
        {
            var folder = Path.Combine(Path.GetTempPath(), "TraceIde", "values", Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, fileName);
            File.WriteAllText(path, text);
            await _package.JoinableTaskFactory.SwitchToMainThreadAsync(cancellationToken);
            VsShellUtilities.OpenDocument(_package, path);
        }
    }
}
