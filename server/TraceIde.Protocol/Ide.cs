// Contract: what the web UI asks of the IDE that shows it (`ide/*`), and which view a webview shows.
// The UI sends these as ordinary requests (`{type:"rpc", id, method, params}`, answered with
// `{type:"rpc-result", id, result | error}`), exactly like the host methods it calls through the same relay;
// the relay answers them itself and never forwards them to the host. VS Code (extension-vscode/src/ideHandlers.ts),
// Visual Studio (extension-vs/…/Relay/WebviewRelay.cs) and browser mode (webview/src/ide.ts, which answers
// what a page can do itself and says clearly what it cannot) implement every method here; the shared relay
// cases in tests/fixtures/relay/ run against both relays.
namespace TraceIde.Protocol;

/// <summary>The IDE methods: UI → IDE requests, answered by the relay, never by the host.</summary>
public static class IdeMethods
{
    /// <summary>Opens a file at a line (<see cref="IdeOpenFileParams"/> → <see cref="IdeOpenedResult"/>).</summary>
    public const string OpenFile = "ide/openFile";
    /// <summary>Opens a span's code: the relay asks the host's `source/locate` and opens the clear winner, or lets the user choose
    /// (<see cref="IdeOpenSpanSourceParams"/> → <see cref="IdeOpenedResult"/>).</summary>
    public const string OpenSpanSource = "ide/openSpanSource";
    /// <summary>Opens a trace in an editor tab of its own (<see cref="IdeOpenTraceParams"/> → <see cref="EmptyResult"/>).</summary>
    public const string OpenTrace = "ide/openTrace";
    /// <summary>Opens the Overview (<see cref="IdeOpenOverviewParams"/> → <see cref="EmptyResult"/>).</summary>
    public const string OpenOverview = "ide/openOverview";
    /// <summary>Puts text on the clipboard (<see cref="IdeCopyParams"/> → <see cref="EmptyResult"/>).</summary>
    public const string Copy = "ide/copy";
    /// <summary>Shows TraceIde's own panel (the trace list) in the IDE (no params → <see cref="EmptyResult"/>).</summary>
    public const string RevealPanel = "ide/revealPanel";
    /// <summary>
    /// Opens text (a whole span value) where the user can read, search and save it (<see cref="IdeOpenTextParams"/> →
    /// <see cref="EmptyResult"/>): a read-only editor in VS Code (Save As keeps it), a file in the temp folder opened in Visual Studio, a
    /// download in browser mode.
    /// </summary>
    public const string OpenText = "ide/openText";

    public static readonly IReadOnlyList<string> All = [OpenFile, OpenSpanSource, OpenTrace, OpenOverview, Copy, RevealPanel, OpenText];
}

/// <summary>`ide/openFile`: a file on this machine, or (<see cref="MapToWorkspace"/>) a path from a trace that the host maps to the workspace.</summary>
public sealed record IdeOpenFileParams
{
    public required string Path { get; init; }
    /// <summary>1-based; the first line when absent.</summary>
    public int? Line { get; init; }
    /// <summary>1-based.</summary>
    public int? Column { get; init; }
    /// <summary>The path was recorded elsewhere (a stack frame, a deployed `code.filepath`): ask the host's `source/mapPath` even when a file exists at
    /// it.</summary>
    public bool? MapToWorkspace { get; init; }
}

/// <summary>`ide/openSpanSource`: the span whose code to open, with the names the UI knows as a fallback for the IDE's own search.</summary>
public sealed record IdeOpenSpanSourceParams
{
    public required string TraceId { get; init; }
    public required string SpanId { get; init; }
    public string? SpanName { get; init; }
    /// <summary>`mlflow.spanFunctionName` or the span name's last part.</summary>
    public string? FunctionName { get; init; }
}

/// <summary>What an open request did: <see cref="Opened"/> false when the user dismissed the choice.</summary>
public sealed record IdeOpenedResult
{
    public required bool Opened { get; init; }
    public string? Path { get; init; }
    public int? Line { get; init; }
}

public sealed record IdeOpenTraceParams
{
    public required string TraceId { get; init; }
    /// <summary>The span to select when the tab opens.</summary>
    public string? SpanId { get; init; }
}

public sealed record IdeOpenOverviewParams
{
    public IReadOnlyList<string>? ExperimentIds { get; init; }
}

public sealed record IdeCopyParams
{
    public required string Text { get; init; }
}

/// <summary>`ide/openText`: the text, the language to show it in, and the file name to offer when it is saved.</summary>
public sealed record IdeOpenTextParams
{
    public required string Text { get; init; }
    /// <summary>An <see cref="IdeTextLanguages"/> value; plain text when absent.</summary>
    public string? Language { get; init; }
    /// <summary>A plain file name (no folders), e.g. `chat_model.outputs.json`; the IDE may make it unique.</summary>
    public required string FileName { get; init; }
}

/// <summary>The languages `ide/openText` shows text in.</summary>
public static class IdeTextLanguages
{
    public const string Json = "json";
    public const string Markdown = "markdown";
    public const string PlainText = "plaintext";
}

/// <summary>
/// What an IDE tells the page (IDE → UI notifications, `{type:"rpc", method, params}` without an id): the page acts,
/// nothing is answered. The UI's App handles every one (a vitest checks).
/// </summary>
public static class UiMethods
{
    /// <summary>Turns the list's live mode on or off (the "TraceIde: Toggle Live Mode" command): the page's own live mode, which keeps the filter, the
    /// selection and the open trace.</summary>
    public const string ToggleLive = "ui/toggleLive";

    public static readonly IReadOnlyList<string> All = [ToggleLive];
}

/// <summary>
/// The rule every IDE applies to `source/locate` and `source/mapPath` answers: open the best location at once
/// when it leads the next by at least this much confidence (or stands alone); otherwise let the user choose.
/// </summary>
public static class SourceChoice
{
    public const double ClearWinnerGap = 0.15;
}

// ---------------------------------------------------------------- the view a webview shows

/// <summary>The views one UI bundle can mount as.</summary>
public static class PanelViews
{
    /// <summary>The trace list (side panel, browser mode), with the viewer and the Overview tab.</summary>
    public const string List = "list";
    /// <summary>One trace, in an editor tab of its own.</summary>
    public const string Trace = "trace";
    /// <summary>The Overview charts.</summary>
    public const string Overview = "overview";
    /// <summary>The traces a run of the user's code made (a notebook cell, a debug session, a command).</summary>
    public const string RunList = "runList";
    /// <summary>Two traces compared span by span, in an editor tab of its own (<see cref="PanelView.TraceIds"/>: A, then B).</summary>
    public const string Compare = "compare";
}

/// <summary>
/// What a webview shows, set by the IDE that opens it (VS Code: the page's `data-traceide-view` attribute, as
/// JSON) and kept by the page (`setState`) so that a window reload or a host restart brings back the same view.
/// </summary>
public sealed record PanelView
{
    /// <summary>A <see cref="PanelViews"/> value.</summary>
    public required string View { get; init; }
    /// <summary>The trace of a <see cref="PanelViews.Trace"/> view.</summary>
    public string? TraceId { get; init; }
    /// <summary>The two traces of a <see cref="PanelViews.Compare"/> view, A then B.</summary>
    public IReadOnlyList<string>? TraceIds { get; init; }
    /// <summary>The selected span.</summary>
    public string? SpanId { get; init; }
    /// <summary>The Overview's tab: usage, quality or toolCalls.</summary>
    public string? Tab { get; init; }
    /// <summary>The Overview's time range preset.</summary>
    public string? RangeKey { get; init; }
    public IReadOnlyList<string>? ExperimentIds { get; init; }
}
