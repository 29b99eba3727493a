using TraceIde.Protocol;

namespace TraceIde.VisualStudio.Core.Relay;

/// <summary>Opens a document at a line. The Visual Studio shell implements it (VsShellUtilities.OpenDocument + caret).</summary>
public interface INavigator
{
    /// <summary>True when <paramref name="path"/> names a file on this machine.</summary>
    bool FileExists(string path);

    /// <summary>Opens <paramref name="path"/> at 1-based <paramref name="line"/> (and column). False when the file does not exist.</summary>
    Task<bool> OpenFileAsync(string path, int line, int? column, CancellationToken cancellationToken);

    /// <summary>
    /// `ide/openText`: shows <paramref name="text"/> in an editor named <paramref name="fileName"/> (a plain name,
    /// checked by the relay), in <paramref name="language"/> (an <see cref="IdeTextLanguages"/> value).
    /// </summary>
    Task OpenTextAsync(string text, string fileName, string language, CancellationToken cancellationToken);
}

/// <summary>Puts text on the clipboard (the shell does it on the UI thread).</summary>
public interface IClipboard
{
    Task SetTextAsync(string text, CancellationToken cancellationToken);
}

/// <summary>
/// What Visual Studio shows for the IDE methods besides files (the WPF control implements it): a choice among
/// ambiguous locations, its own definition search, and TraceIde's views in its tool window.
/// </summary>
public interface IIdeViews
{
    /// <summary>Lets the user choose among <paramref name="locations"/>, best first; null when dismissed.</summary>
    Task<SourceLocation?> ChooseAsync(IReadOnlyList<SourceLocation> locations, string placeholder, CancellationToken cancellationToken);

    /// <summary>Definitions of a function found by the IDE itself, best first (used when the host finds nothing).</summary>
    Task<IReadOnlyList<SourceLocation>> FindDefinitionsAsync(string name, CancellationToken cancellationToken);

    Task OpenTraceAsync(string traceId, string? spanId, CancellationToken cancellationToken);

    Task OpenOverviewAsync(IReadOnlyList<string>? experimentIds, CancellationToken cancellationToken);

    Task RevealPanelAsync(CancellationToken cancellationToken);
}
