using System.Text;
using System.Text.Json;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

/// <summary>
/// How a span attribute that is not a finite number reaches the contract (SpanPayload.Attributes): as the
/// string "NaN" / "Infinity" / "-Infinity" — never a JSON number, which System.Text.Json could not write.
/// MLflow's Python client json.dumps attributes, which writes the bare tokens NaN and Infinity (not JSON).
/// </summary>
public sealed class NonFiniteAttributeTests
{
    private static IReadOnlyDictionary<string, JsonElement> Attributes(string traceJson) =>
        Assert.Single(SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes(traceJson), "test")).Attributes;

    [Fact]
    public void MLflows_bare_tokens_in_an_artifact_arrive_as_their_text()
    {
        var attrs = Attributes("""
            {"spans": [{"trace_id": "AAAAAAAAAAAAAAAAAAAAAA==", "span_id": "AAAAAAAAAAE=", "parent_span_id": null, "name": "s",
              "start_time_unix_nano": 1, "end_time_unix_nano": 2, "events": [], "status": {"code": "STATUS_CODE_OK", "message": ""},
              "attributes": {"nan": "NaN", "inf": "Infinity", "neg": "-Infinity", "inside": "{\"score\": NaN}", "fine": "1.5"}}]}
            """);
        Assert.Equal(("NaN", "Infinity", "-Infinity"), (attrs["nan"].GetString(), attrs["inf"].GetString(), attrs["neg"].GetString()));
        Assert.Equal("{\"score\": NaN}", attrs["inside"].GetString()); // not JSON: the text it was
        Assert.Equal(1.5, attrs["fine"].GetDouble());
        // What the host writes for the client is valid JSON.
        Assert.Equal("""{"nan":"NaN","inf":"Infinity","neg":"-Infinity","inside":"{\u0022score\u0022: NaN}","fine":1.5}""",
            JsonSerializer.Serialize(attrs));
    }
}
