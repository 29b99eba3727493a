namespace TraceIde.VisualStudio.Core.Relay;

/// <summary>Opens a document at a line. The Visual Studio shell implements it (VsShellUtilities.OpenDocument + caret).</summary>
public interface INavigator
{
    /// <summary>Opens <paramref name="path"/> at 1-based <paramref name="line"/> (and column). False when the file does not exist.</summary>
    Task<bool> OpenFileAsync(string path, int line, int? column, CancellationToken cancellationToken);
}

/// <summary>Puts text on the clipboard (the shell does it on the UI thread).</summary>
public interface IClipboard
{
    Task SetTextAsync(string text, CancellationToken cancellationToken);
}

/// <summary>Requests only the IDE answers (never forwarded to the host).</summary>
public static class IdeMethods
{
    /// <summary>`{path, line, column?}` → `{opened}`.</summary>
    public const string OpenFile = "ide/openFile";
    /// <summary>`{text}` → `{copied: true}`.</summary>
    public const string Copy = "ide/copy";

    public static readonly IReadOnlyList<string> All = [OpenFile, Copy];
}
