using System.Text.Json.Serialization;

namespace TraceIde.Protocol;

/// <summary>Source-generated JSON metadata for every contract type (no reflection at run time).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = false)]
[JsonSerializable(typeof(InitializeParams))]
[JsonSerializable(typeof(InitializeResult))]
[JsonSerializable(typeof(ExperimentsListParams))]
[JsonSerializable(typeof(ExperimentsListResult))]
[JsonSerializable(typeof(TracesSearchParams))]
[JsonSerializable(typeof(TracesSearchResult))]
[JsonSerializable(typeof(TracesGetParams))]
[JsonSerializable(typeof(TracesGetResult))]
[JsonSerializable(typeof(SpansGetParams))]
[JsonSerializable(typeof(SpansGetResult))]
[JsonSerializable(typeof(TracesDeleteParams))]
[JsonSerializable(typeof(TracesDeleteResult))]
[JsonSerializable(typeof(TracesSetTagParams))]
[JsonSerializable(typeof(TracesDeleteTagParams))]
[JsonSerializable(typeof(EmptyResult))]
[JsonSerializable(typeof(AssessmentsCreateParams))]
[JsonSerializable(typeof(AssessmentsUpdateParams))]
[JsonSerializable(typeof(AssessmentsDeleteParams))]
[JsonSerializable(typeof(AssessmentsWriteResult))]
[JsonSerializable(typeof(SessionsListParams))]
[JsonSerializable(typeof(SessionsListResult))]
[JsonSerializable(typeof(MarkdownRenderParams))]
[JsonSerializable(typeof(MarkdownRenderResult))]
[JsonSerializable(typeof(RpcErrorData))]
[JsonSerializable(typeof(OverviewParams))]
[JsonSerializable(typeof(ProgressParams))]
[JsonSerializable(typeof(OverviewUsageResult))]
[JsonSerializable(typeof(OverviewQualityResult))]
[JsonSerializable(typeof(OverviewToolCallsResult))]
// ---- source/* (Source.cs)
[JsonSerializable(typeof(SourceLocateParams))]
[JsonSerializable(typeof(SourceLocateResult))]
[JsonSerializable(typeof(SourceMapPathParams))]
[JsonSerializable(typeof(SourceSpanStatsParams))]
[JsonSerializable(typeof(SourceSpanStatsResult))]
[JsonSerializable(typeof(WorkspaceDidChangeFilesParams))]
// Live traces (Live.cs)
[JsonSerializable(typeof(TracesWindowParams))]
[JsonSerializable(typeof(TracesWindowResult))]
[JsonSerializable(typeof(TracesSubscribeParams))]
[JsonSerializable(typeof(TracesSubscribeResult))]
[JsonSerializable(typeof(TracesUnsubscribeParams))]
[JsonSerializable(typeof(TracesChangedParams))]
// UI → IDE (Ide.cs)
[JsonSerializable(typeof(IdeOpenFileParams))]
[JsonSerializable(typeof(IdeOpenSpanSourceParams))]
[JsonSerializable(typeof(IdeOpenedResult))]
[JsonSerializable(typeof(IdeOpenTraceParams))]
[JsonSerializable(typeof(IdeOpenOverviewParams))]
[JsonSerializable(typeof(IdeCopyParams))]
[JsonSerializable(typeof(IdeOpenTextParams))]
[JsonSerializable(typeof(PanelView))]
// Agent tools (Agent.cs)
[JsonSerializable(typeof(AgentCallToolParams))]
[JsonSerializable(typeof(AgentCallToolResult))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;

/// <summary>The one place that says how the contract is written on the wire.</summary>
public static class ProtocolJson
{
    /// <summary>
    /// Makes <paramref name="options"/> write the contract as declared: camelCase, nulls omitted,
    /// metadata from <see cref="ProtocolJsonContext"/>. A context used as a resolver for foreign
    /// options takes the naming policy from those options, hence the explicit settings here.
    /// </summary>
    public static void Configure(System.Text.Json.JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
        options.DictionaryKeyPolicy = null; // tag, metadata and attribute keys are data, kept as they are
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.TypeInfoResolver = System.Text.Json.Serialization.Metadata.JsonTypeInfoResolver.Combine(
            ProtocolJsonContext.Default, new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver());
    }
}
