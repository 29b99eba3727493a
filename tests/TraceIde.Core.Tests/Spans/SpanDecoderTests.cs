using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

public class SpanDecoderTests
{
    private const string ArtifactV3 = "get_trace_artifact_v3__s1-paris-t1";
    private const string ArtifactV2 = "get_trace_artifact_v2__s1-paris-t1";
    private const string OtelGet = "traces_get__s1-paris-t1";

    [Fact]
    public void S1ParisT1_ArtifactAndTracesGet_DecodeToTheSameSpans()
    {
        var artifact = SpanFixtures.Artifact(ArtifactV3).OrderBy(s => s.SpanId, StringComparer.Ordinal).ToList();
        var otel = SpanFixtures.TracesGet(OtelGet).OrderBy(s => s.SpanId, StringComparer.Ordinal).ToList();

        Assert.Equal(8, artifact.Count);
        Assert.Equal(8, otel.Count);
        Assert.All(artifact, s => Assert.Matches("^[0-9a-f]{16}$", s.SpanId));
        Assert.Equal(artifact.Select(s => s.SpanId), otel.Select(s => s.SpanId));
        Assert.Equal(artifact.Select(s => s.ParentSpanId), otel.Select(s => s.ParentSpanId));
        Assert.Equal(artifact.Select(s => s.Name), otel.Select(s => s.Name));
        Assert.Equal(artifact.Select(s => s.SpanType), otel.Select(s => s.SpanType));
        Assert.Equal(artifact.Select(s => s.Status), otel.Select(s => s.Status));
        Assert.Equal(artifact.Select(s => s.StartTimeNs), otel.Select(s => s.StartTimeNs));
        Assert.Equal(artifact.Select(s => s.EndTimeNs), otel.Select(s => s.EndTimeNs));

        // The root: base64 "OfSRxhLJL0c=" in both recordings.
        var root = Assert.Single(artifact, s => s.ParentSpanId is null);
        Assert.Equal("39f491c612c92f47", root.SpanId);
        Assert.Equal("support_agent", root.Name);
        Assert.Equal("AGENT", root.SpanType);
        Assert.Equal("OK", root.Status);
        Assert.Equal(1794890884528000000, root.StartTimeNs);
        Assert.Equal(1794890886738979795, root.EndTimeNs);
        // Every parent is one of the trace's spans.
        var ids = artifact.Select(s => s.SpanId).ToHashSet();
        Assert.All(artifact.Where(s => s.ParentSpanId != null), s => Assert.Contains(s.ParentSpanId!, ids));
        Assert.Contains(artifact, s => s.SpanType == "CHAT_MODEL");
        Assert.Contains(artifact, s => s.SpanType == "TOOL");
    }

    [Fact]
    public void S1ParisT1_RootInputsAndOutputs_AreJsonObjects_IdenticalInBothFormats()
    {
        var a = SpanFixtures.Artifact(ArtifactV3).Single(s => s.ParentSpanId is null);
        var o = SpanFixtures.TracesGet(OtelGet).Single(s => s.ParentSpanId is null);

        var inputs = a.Attributes["mlflow.spanInputs"];
        Assert.Equal(JsonValueKind.Object, inputs.ValueKind);
        var messages = inputs.GetProperty("messages");
        Assert.Equal(JsonValueKind.Array, messages.ValueKind);
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        Assert.Equal("What's the weather in Paris on June 12?", messages[0].GetProperty("content").GetString());
        Assert.Equal(JsonValueKind.Object, a.Attributes["mlflow.spanOutputs"].ValueKind);
        Assert.Equal("assistant", a.Attributes["mlflow.spanOutputs"].GetProperty("role").GetString());

        Assert.Equal(JsonValueKind.Object, o.Attributes["mlflow.spanInputs"].ValueKind);
        Assert.Equal(SpanFixtures.Canonical(inputs), SpanFixtures.Canonical(o.Attributes["mlflow.spanInputs"]));
        Assert.Equal(SpanFixtures.Canonical(a.Attributes["mlflow.spanOutputs"]), SpanFixtures.Canonical(o.Attributes["mlflow.spanOutputs"]));
        // Plain string attributes are decoded once: "\"AGENT\"" -> AGENT, not "\"AGENT\"".
        Assert.Equal("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4", a.Attributes["mlflow.traceRequestId"].GetString());
        Assert.Equal("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4", o.Attributes["mlflow.traceRequestId"].GetString());
        Assert.Equal(1794890884528000000, a.Attributes["mlflow.spanStartTimeNs"].GetInt64());
        Assert.Equal(1794890884528000000, o.Attributes["mlflow.spanStartTimeNs"].GetInt64());
    }

    [Fact]
    public void S1ParisT1_AllAttributesOfAllSpans_AgreeBetweenFormats()
    {
        var a = SpanFixtures.Artifact(ArtifactV3).ToDictionary(s => s.SpanId);
        var o = SpanFixtures.TracesGet(OtelGet).ToDictionary(s => s.SpanId);
        var compared = 0;
        foreach (var (id, span) in a)
        {
            Assert.Equal(span.Attributes.Keys.Order(StringComparer.Ordinal), o[id].Attributes.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, value) in span.Attributes)
            {
                Assert.True(SpanFixtures.Canonical(value) == SpanFixtures.Canonical(o[id].Attributes[key]), $"{span.Name}/{key} differs");
                compared++;
            }
        }
        Assert.True(compared > 40, $"only {compared} attributes compared");
    }

    [Fact]
    public void ArtifactV2Endpoint_DecodesLikeV3()
    {
        var v3 = SpanFixtures.Artifact(ArtifactV3);
        var v2 = SpanFixtures.Artifact(ArtifactV2);
        AssertSameSpans(v3, v2);
    }

    /// <summary>
    /// The historic traces.json variants of docs/mlflow-notes.md#span-formats, produced by rewriting the real ≥3.5.1 spans of
    /// s1-paris-t1 into each older layout; each must decode to the same spans.
    /// </summary>
    [Theory]
    [InlineData("2.x")]
    [InlineData("2.x-0x")]
    [InlineData("3.0-3.4")]
    [InlineData("3.5.0")]
    public void HistoricTracesJsonVariants_DecodeLikeCurrentFormat(string variant)
    {
        var body = SpanFixtures.Body(ArtifactV3);
        var current = SpanDecoder.DecodeTraceData(body);
        var doc = JsonNode.Parse(body.GetRawText())!.AsObject();
        foreach (var node in doc["spans"]!.AsArray())
        {
            var s = node!.AsObject();
            var spanHex = Hex(s["span_id"]!.GetValue<string>());
            var parent = s["parent_span_id"]?.GetValue<string>();
            var parentHex = parent is null ? null : Hex(parent);
            var code = s["status"]!["code"]!.GetValue<string>();
            switch (variant)
            {
                case "2.x":
                case "2.x-0x":
                {
                    var prefix = variant == "2.x-0x" ? "0x" : "";
                    var traceHex = Hex(s["trace_id"]!.GetValue<string>());
                    var v2 = new JsonObject
                    {
                        ["name"] = s["name"]!.GetValue<string>(),
                        ["context"] = new JsonObject { ["trace_id"] = prefix + traceHex, ["span_id"] = prefix + spanHex },
                        ["parent_id"] = parentHex is null ? null : prefix + parentHex,
                        ["start_time"] = s["start_time_unix_nano"]!.GetValue<long>(),
                        ["end_time"] = s["end_time_unix_nano"]!.GetValue<long>(),
                        ["status_code"] = code.Replace("STATUS_CODE_", ""),
                        ["status_message"] = s["status"]!["message"]!.GetValue<string>(),
                        ["attributes"] = s["attributes"]!.DeepClone(),
                        ["events"] = new JsonArray(s["events"]!.AsArray().Select(e => (JsonNode)new JsonObject
                        {
                            ["name"] = e!["name"]!.GetValue<string>(),
                            ["timestamp"] = e["time_unix_nano"]!.GetValue<long>(),
                            ["attributes"] = e["attributes"]!.DeepClone(),
                        }).ToArray()),
                    };
                    s.Clear();
                    foreach (var kv in v2.ToList()) { v2.Remove(kv.Key); s[kv.Key] = kv.Value; }
                    break;
                }
                case "3.0-3.4":
                    if (parent is null) s["parent_span_id"] = "";
                    s["trace_state"] = "";
                    break;
                case "3.5.0":
                    s["trace_id"] = "tr-" + Hex(s["trace_id"]!.GetValue<string>());
                    s["span_id"] = spanHex;
                    s["parent_span_id"] = parentHex;
                    s["status"]!["code"] = code.Replace("STATUS_CODE_", "");
                    break;
            }
        }
        using var rewritten = JsonDocument.Parse(doc.ToJsonString());
        AssertSameSpans(current, SpanDecoder.DecodeTraceData(rewritten.RootElement));
    }

    [Fact]
    public void BatchDigest500_BothFormats_500SpansOneRoot()
    {
        var a = SpanFixtures.Artifact("get_trace_artifact_v3__batch-digest-500");
        var o = SpanFixtures.TracesGet("traces_get__batch-digest-500");
        Assert.Equal(500, a.Count);
        Assert.Equal(500, o.Count);
        Assert.Single(a, s => s.ParentSpanId is null);
        Assert.Single(o, s => s.ParentSpanId is null);
        Assert.Equal(124, a.Count(s => s.Name == "summarize_document"));
        AssertSameSpans(a, o);
    }

    [Theory]
    [InlineData("traces_get__error-rate-limit", "openai.RateLimitError", 3)]
    [InlineData("traces_get__s2-order-t1", "OrderNotFoundError", 2)]
    public void ErrorTraces_HaveErrorStatusAndExceptionEventsWithPlainStrings(string recording, string exceptionType, int errorSpans)
    {
        var spans = SpanFixtures.TracesGet(recording);
        var errors = spans.Where(s => s.Status == "ERROR").ToList();
        Assert.Equal(errorSpans, errors.Count);
        Assert.All(errors, s => Assert.Contains(exceptionType.Split('.').Last(), s.StatusMessage));
        Assert.All(spans.Where(s => s.Status != "ERROR"), s => Assert.Equal("OK", s.Status));

        var exceptions = spans.SelectMany(s => s.Events).Where(e => e.Name == "exception").ToList();
        Assert.NotEmpty(exceptions);
        foreach (var ev in exceptions)
        {
            Assert.True(ev.TimeNs > 1_700_000_000_000_000_000);
            Assert.Equal(JsonValueKind.String, ev.Attributes["exception.type"].ValueKind);
            Assert.Equal(exceptionType, ev.Attributes["exception.type"].GetString());
            Assert.Equal(JsonValueKind.String, ev.Attributes["exception.message"].ValueKind);
            Assert.False(string.IsNullOrEmpty(ev.Attributes["exception.message"].GetString()));
            Assert.StartsWith("Traceback (most recent call last):\n", ev.Attributes["exception.stacktrace"].GetString());
        }
    }

    [Fact]
    public void LiveStream1_HasFiveStreamChunkEvents()
    {
        var spans = SpanFixtures.TracesGet("traces_get__live-stream-1");
        var streaming = Assert.Single(spans, s => s.Events.Count > 0);
        Assert.Equal(5, streaming.Events.Count);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"mlflow.chunk.item.{i}"), streaming.Events.Select(e => e.Name));
        Assert.Equal("\"Online check-in \"", streaming.Events[0].Attributes["mlflow.chunk.value"].GetString());
        Assert.True(streaming.Events.Zip(streaming.Events.Skip(1)).All(p => p.First.TimeNs < p.Second.TimeNs));
    }

    [Fact]
    public void MlflowSpan_AttributeEncodings()
    {
        const string json = """
        {"trace_id":"fwydWypuTBuNPwqeizbG3Q==","span_id":"q83vEjRWeJA=","parent_span_id":null,"name":"agent",
         "start_time_unix_nano":1743501600123000000,"end_time_unix_nano":null,
         "events":[{"name":"exception","time_unix_nano":1743501602539000000,
           "attributes":{"exception.type":"ValueError","exception.message":"{\"not\": \"decoded\"}","n":3}}],
         "status":{"code":"STATUS_CODE_ERROR","message":"ValueError: bad input"},
         "attributes":{"mlflow.spanType":"\"AGENT\"","mlflow.spanInputs":"{\"question\": \"hi \\u00e9\\n\"}",
           "list":"[1, 2.5, true, null]","notJson":"hello world","empty":"","nan":"NaN","raw":42,
           "escaped":"\"a\\\"b\"","trailing":"1 2"}}
        """;
        using var doc = JsonDocument.Parse(json);
        var s = SpanDecoder.DecodeMlflowSpan(doc.RootElement);
        doc.Dispose(); // the span must not depend on the parsed input

        Assert.Equal("abcdef1234567890", s.SpanId);
        Assert.Null(s.ParentSpanId);
        Assert.Null(s.EndTimeNs);
        Assert.Equal("ERROR", s.Status);
        Assert.Equal("ValueError: bad input", s.StatusMessage);
        Assert.Equal("AGENT", s.SpanType);
        Assert.Equal("hi é\n", s.Attributes["mlflow.spanInputs"].GetProperty("question").GetString());
        Assert.Equal("[1,2.5,true,null]", s.Attributes["list"].GetRawText().Replace(" ", ""));
        Assert.Equal("hello world", s.Attributes["notJson"].GetString());
        Assert.Equal("", s.Attributes["empty"].GetString());
        Assert.Equal("NaN", s.Attributes["nan"].GetString());
        Assert.Equal(42, s.Attributes["raw"].GetInt32());
        Assert.Equal("a\"b", s.Attributes["escaped"].GetString());
        Assert.Equal("1 2", s.Attributes["trailing"].GetString());
        var ev = Assert.Single(s.Events);
        Assert.Equal("{\"not\": \"decoded\"}", ev.Attributes["exception.message"].GetString());
        Assert.Equal(3, ev.Attributes["n"].GetInt32());
        Assert.Equal(1743501602539000000, ev.TimeNs);
    }

    [Fact]
    public void OtelSpan_AnyValueKinds_StatusAndTimes()
    {
        const string json = """
        {"trace_id":"fwydWypuTBuNPwqeizbG3Q==","span_id":"q83vEjRWeJA=","parent_span_id":"OfSRxhLJL0c=","name":"x",
         "start_time_unix_nano":"1743501600123000000","end_time_unix_nano":0,
         "attributes":[
           {"key":"s","value":{"string_value":"{\"kept\": \"as string\"}"}},
           {"key":"i","value":{"int_value":"9007199254740993"}},
           {"key":"d","value":{"double_value":0.25}},
           {"key":"b","value":{"bool_value":true}},
           {"key":"arr","value":{"array_value":{"values":[{"int_value":1},{"string_value":"two"},{"kvlist_value":{"values":[]}}]}}},
           {"key":"kv","value":{"kvlist_value":{"values":[{"key":"a","value":{"array_value":{}}},{"key":"b","value":{}}]}}},
           {"key":"none","value":{}}],
         "status":{}}
        """;
        using var doc = JsonDocument.Parse(json);
        var s = SpanDecoder.DecodeOtelSpan(doc.RootElement);
        doc.Dispose();

        Assert.Equal("39f491c612c92f47", s.ParentSpanId);
        Assert.Equal(1743501600123000000, s.StartTimeNs);
        Assert.Null(s.EndTimeNs);
        Assert.Equal("UNSET", s.Status);
        Assert.Equal("UNKNOWN", s.SpanType);
        Assert.Equal("{\"kept\": \"as string\"}", s.Attributes["s"].GetString());
        Assert.Equal(9007199254740993, s.Attributes["i"].GetInt64());
        Assert.Equal(0.25, s.Attributes["d"].GetDouble());
        Assert.True(s.Attributes["b"].GetBoolean());
        Assert.Equal("[1,\"two\",{}]", s.Attributes["arr"].GetRawText());
        Assert.Equal("{\"a\":[],\"b\":null}", s.Attributes["kv"].GetRawText());
        Assert.Equal(JsonValueKind.Null, s.Attributes["none"].ValueKind);
        Assert.Empty(s.Events);
    }

    [Theory]
    [InlineData("\"not a span\"")]
    [InlineData("{\"name\":\"no id\",\"start_time_unix_nano\":1}")]
    [InlineData("{\"span_id\":\"zzzzzzzzzzzzzzzz\",\"name\":\"bad hex\"}")]
    [InlineData("{\"span_id\":\"q83vEjRWeJA=\",\"name\":\"bad time\",\"start_time_unix_nano\":\"soon\"}")]
    [InlineData("{\"span_id\":\"q83vEjRWeJA=\",\"name\":\"bad attrs\",\"attributes\":\"x\"}")]
    public void NotASpan_ThrowsBadResponse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var ex = Assert.Throws<BackendException>(() => SpanDecoder.DecodeMlflowSpan(doc.RootElement));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, ex.Code);
    }

    [Fact]
    public void TraceData_WithoutSpansArray_ThrowsBadResponse()
    {
        using var doc = JsonDocument.Parse("{\"span\":[]}");
        Assert.Throws<BackendException>(() => SpanDecoder.DecodeTraceData(doc.RootElement));
    }

    private static void AssertSameSpans(IReadOnlyList<RawSpan> expected, IReadOnlyList<RawSpan> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var byId = actual.ToDictionary(s => s.SpanId);
        foreach (var e in expected)
        {
            var a = byId[e.SpanId];
            Assert.Equal(e.ParentSpanId, a.ParentSpanId);
            Assert.Equal(e.Name, a.Name);
            Assert.Equal(e.StartTimeNs, a.StartTimeNs);
            Assert.Equal(e.EndTimeNs, a.EndTimeNs);
            Assert.Equal(e.Status, a.Status);
            Assert.Equal(e.StatusMessage, a.StatusMessage);
            Assert.Equal(e.SpanType, a.SpanType);
            Assert.Equal(e.Attributes.Count, a.Attributes.Count);
            foreach (var (k, v) in e.Attributes)
                Assert.Equal(SpanFixtures.Canonical(v), SpanFixtures.Canonical(a.Attributes[k]));
            Assert.Equal(e.Events.Select(x => (x.Name, x.TimeNs)), a.Events.Select(x => (x.Name, x.TimeNs)));
        }
    }

    private static string Hex(string base64) => Convert.ToHexStringLower(Convert.FromBase64String(base64));
}
