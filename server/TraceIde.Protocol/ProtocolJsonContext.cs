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
[JsonSerializable(typeof(MarkdownRenderParams))]
[JsonSerializable(typeof(MarkdownRenderResult))]
[JsonSerializable(typeof(RpcErrorData))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
