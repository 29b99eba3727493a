using System.Text.Json;

namespace TraceIde.VisualStudio.Core.Rpc;

/// <summary>How Visual Studio's side writes and reads the contract's records: camelCase, nulls left out (as the host does).</summary>
public static class ContractJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
