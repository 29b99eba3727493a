namespace TraceIde.Protocol;

/// <summary>One method of the contract: its name and the types of its parameter object and result.</summary>
/// <param name="IsNotification">True for notifications (no response), like `exit`.</param>
/// <param name="FromHost">True for what the host sends to the client (it has no handler in the host).</param>
public sealed record RpcMethodDescriptor(string Name, Type? ParamsType, Type? ResultType, bool IsNotification = false, bool FromHost = false);

/// <summary>
/// The whole contract as data: the host's handlers are checked against it by a test, and the
/// TypeScript declaration (webview/src/protocol.generated.ts) is generated from it.
/// </summary>
public static class RpcContract
{
    public static readonly IReadOnlyList<RpcMethodDescriptor> Methods =
    [
        new(RpcMethods.Initialize, typeof(InitializeParams), typeof(InitializeResult)),
        new(RpcMethods.Shutdown, null, null),
        new(RpcMethods.Exit, null, null, IsNotification: true),
        new(RpcMethods.ExperimentsList, typeof(ExperimentsListParams), typeof(ExperimentsListResult)),
        new(RpcMethods.TracesSearch, typeof(TracesSearchParams), typeof(TracesSearchResult)),
        new(RpcMethods.TracesGet, typeof(TracesGetParams), typeof(TracesGetResult)),
        new(RpcMethods.SpansGet, typeof(SpansGetParams), typeof(SpansGetResult)),
        new(RpcMethods.TracesDelete, typeof(TracesDeleteParams), typeof(TracesDeleteResult)),
        new(RpcMethods.TracesSetTag, typeof(TracesSetTagParams), typeof(EmptyResult)),
        new(RpcMethods.TracesDeleteTag, typeof(TracesDeleteTagParams), typeof(EmptyResult)),
        new(RpcMethods.AssessmentsCreate, typeof(AssessmentsCreateParams), typeof(AssessmentsWriteResult)),
        new(RpcMethods.AssessmentsUpdate, typeof(AssessmentsUpdateParams), typeof(AssessmentsWriteResult)),
        new(RpcMethods.AssessmentsDelete, typeof(AssessmentsDeleteParams), typeof(EmptyResult)),
        new(RpcMethods.SessionsList, typeof(SessionsListParams), typeof(SessionsListResult)),
        new(RpcMethods.MarkdownRender, typeof(MarkdownRenderParams), typeof(MarkdownRenderResult)),
        new(RpcMethods.OverviewUsage, typeof(OverviewParams), typeof(OverviewUsageResult)),
        new(RpcMethods.OverviewQuality, typeof(OverviewParams), typeof(OverviewQualityResult)),
        new(RpcMethods.OverviewToolCalls, typeof(OverviewParams), typeof(OverviewToolCallsResult)),
        new(RpcMethods.Progress, typeof(ProgressParams), null, IsNotification: true, FromHost: true),
        new(RpcMethods.SessionInfo, null, typeof(InitializeResult)),
        // ---- source/* (Source.cs)
        new(RpcMethods.SourceLocate, typeof(SourceLocateParams), typeof(SourceLocateResult)),
        new(RpcMethods.SourceMapPath, typeof(SourceMapPathParams), typeof(SourceLocateResult)),
        new(RpcMethods.SourceSpanStats, typeof(SourceSpanStatsParams), typeof(SourceSpanStatsResult)),
        new(RpcMethods.WorkspaceDidChangeFiles, typeof(WorkspaceDidChangeFilesParams), null, IsNotification: true),

        // Live traces (Live.cs): time windows and subscriptions.
        new(RpcMethods.TracesWindow, typeof(TracesWindowParams), typeof(TracesWindowResult)),
        new(RpcMethods.TracesSubscribe, typeof(TracesSubscribeParams), typeof(TracesSubscribeResult)),
        new(RpcMethods.TracesUnsubscribe, typeof(TracesUnsubscribeParams), typeof(EmptyResult)),
        new(RpcMethods.TracesChanged, typeof(TracesChangedParams), null, IsNotification: true, FromHost: true),

        // Agent tools (Agent.cs): `traceide mcp`'s tools on an IDE's host.
        new(RpcMethods.AgentCallTool, typeof(AgentCallToolParams), typeof(AgentCallToolResult)),
    ];
}

/// <summary>The IDE methods (Ide.cs) as data, like <see cref="RpcContract.Methods"/>: generated into TypeScript as `IdeRequests`.</summary>
public static class IdeContract
{
    public static readonly IReadOnlyList<RpcMethodDescriptor> Methods =
    [
        new(IdeMethods.OpenFile, typeof(IdeOpenFileParams), typeof(IdeOpenedResult)),
        new(IdeMethods.OpenSpanSource, typeof(IdeOpenSpanSourceParams), typeof(IdeOpenedResult)),
        new(IdeMethods.OpenTrace, typeof(IdeOpenTraceParams), typeof(EmptyResult)),
        new(IdeMethods.OpenOverview, typeof(IdeOpenOverviewParams), typeof(EmptyResult)),
        new(IdeMethods.Copy, typeof(IdeCopyParams), typeof(EmptyResult)),
        new(IdeMethods.RevealPanel, null, typeof(EmptyResult)),
        new(IdeMethods.OpenText, typeof(IdeOpenTextParams), typeof(EmptyResult)),
    ];

    /// <summary>IDE → UI notifications (<see cref="UiMethods"/>), generated into TypeScript as `UiNotifications`.</summary>
    public static readonly IReadOnlyList<RpcMethodDescriptor> UiNotifications =
    [
        new(UiMethods.ToggleLive, null, null, IsNotification: true),
    ];
}
