using System.Threading;
using System.Threading.Tasks;
using System.Windows;
using System.Windows.Threading;
using TraceIde.VisualStudio.Core.Relay;

namespace TraceIde.VisualStudio.Ui
{
    /// <summary>`ide/copy`: the WPF clipboard, on the UI thread.</summary>
    public sealed class WpfClipboard : IClipboard
    {
        private readonly Dispatcher _dispatcher;

        public WpfClipboard(Dispatcher dispatcher) => _dispatcher = dispatcher;

        public Task SetTextAsync(string text, CancellationToken cancellationToken) =>
            _dispatcher.InvokeAsync(() => Clipboard.SetText(text), DispatcherPriority.Normal, cancellationToken).Task;
    }
}
