using System.Text;
using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

/// <summary>
/// The decoder hands out attributes that decode on first read (SpanAttributes) and, for the
/// store's spans table, decodes a trace's rows with one parse (<see cref="SpanRows"/>). Both must give
/// exactly what decoding everything up front gave: checked on every recorded span.
/// </summary>
public class LazyAttributeTests
{
    public static TheoryData<string> Recordings() => new()
    {
        "get_trace_artifact_v3__s1-paris-t1", "get_trace_artifact_v2__s1-paris-t1", "get_trace_artifact_v3__batch-digest-500",
        "traces_get__s1-paris-t1", "traces_get__batch-digest-500", "traces_get__error-rate-limit", "traces_get__live-stream-1",
        "traces_get__s2-order-t1", "traces_get__agent-deep-nesting",
    };

    private static IReadOnlyList<RawSpan> Load(string recording) =>
        recording.StartsWith("traces_get", StringComparison.Ordinal)
            ? SpanDecoder.DecodeOtelSpans(SpanFixtures.Body(recording).GetProperty("trace").GetProperty("spans"))
            : SpanFixtures.Artifact(recording);

    /// <summary>One key at a time (before anything is enumerated) equals the value enumeration gives, for every key.</summary>
    [Theory]
    [MemberData(nameof(Recordings))]
    public void SingleKeyReads_EqualEnumeratedValues(string recording)
    {
        var first = Load(recording);  // read key by key
        var second = Load(recording); // enumerated
        Assert.NotEmpty(first);
        var compared = 0;
        for (var i = 0; i < first.Count; i++)
        {
            var all = second[i].Attributes.ToList();
            Assert.Equal(all.Count, second[i].Attributes.Count);
            foreach (var (key, value) in all)
            {
                Assert.True(first[i].Attributes.ContainsKey(key));
                Assert.True(first[i].Attributes.TryGetValue(key, out var single), key);
                Assert.Equal(SpanFixtures.Canonical(value), SpanFixtures.Canonical(single));
                compared++;
            }
            Assert.False(first[i].Attributes.TryGetValue("no.such.key", out _));
            Assert.Throws<KeyNotFoundException>(() => first[i].Attributes["no.such.key"]);
            // The span type read without decoding equals the decoded attribute.
            var type = all.FirstOrDefault(kv => kv.Key == "mlflow.spanType").Value;
            Assert.Equal(type.ValueKind == JsonValueKind.String ? type.GetString() : "UNKNOWN", first[i].SpanType);
            for (var e = 0; e < first[i].Events.Count; e++)
            {
                foreach (var (key, value) in second[i].Events[e].Attributes)
                    Assert.Equal(SpanFixtures.Canonical(value), SpanFixtures.Canonical(first[i].Events[e].Attributes[key]));
            }
        }
        Assert.True(compared > first.Count, $"only {compared} attributes compared");
    }

    [Fact]
    public void TraceDataFromBytes_DecodesLikeTheElement()
    {
        var body = SpanFixtures.Body("get_trace_artifact_v3__batch-digest-500");
        var fromElement = SpanDecoder.DecodeTraceData(body);
        var fromBytes = SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes(body.GetRawText()), "test");
        Assert.Equal(fromElement.Count, fromBytes.Count);
        for (var i = 0; i < fromElement.Count; i++)
        {
            Assert.Equal(fromElement[i].SpanId, fromBytes[i].SpanId);
            Assert.Equal(fromElement[i].SpanType, fromBytes[i].SpanType);
            Assert.Equal(
                fromElement[i].Attributes.Select(kv => (kv.Key, SpanFixtures.Canonical(kv.Value))),
                fromBytes[i].Attributes.Select(kv => (kv.Key, SpanFixtures.Canonical(kv.Value))));
        }
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, BackendExceptionCode("{\"spans\":["));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, BackendExceptionCode("{\"span\":[]}"));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, BackendExceptionCode("{\"spans\":[{\"name\":\"no id\"}]}"));
        // A bare array and a JSON string holding the document are accepted as for an element.
        Assert.Single(SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes("[{\"span_id\":\"q83vEjRWeJA=\"}]"), "test"));
        Assert.Single(SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize("{\"spans\":[{\"span_id\":\"q83vEjRWeJA=\"}]}")), "test"));
    }

    /// <summary>
    /// Bytes are read in one pass, but what a document would say still decides: invalid JSON anywhere is
    /// reported as such even when an earlier span is not one, and of "spans" twice the last counts.
    /// </summary>
    [Fact]
    public void TraceDataFromBytes_DecidesAsADocumentWould()
    {
        var invalidAfterBadSpan = Assert.Throws<BackendException>(() =>
            SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes("{\"spans\":[{\"name\":\"no id\"}], x}"), "test"));
        Assert.StartsWith("Unreadable JSON in test:", invalidAfterBadSpan.Message);
        var badSpan = Assert.Throws<BackendException>(() =>
            SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes("{\"spans\":[{\"name\":\"no id\"}]}"), "test"));
        Assert.Equal("A span named 'no id' has no span_id.", badSpan.Message);

        var twice = SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes(
            "{\"spans\":[{\"span_id\":\"q83vEjRWeJA=\",\"name\":\"first\"}],\"spans\":[{\"span_id\":\"OfSRxhLJL0c=\",\"name\":\"last\"}]}"), "test");
        Assert.Equal("last", Assert.Single(twice).Name);
    }

    /// <summary>A parent ID in another encoding than its span's (hex vs base64) names the same span.</summary>
    [Fact]
    public void ParentIds_InEitherEncoding_MatchTheirSpans()
    {
        var spans = SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes("""
            {"spans":[{"span_id":"q83vEjRWeJA=","name":"root"},
                      {"span_id":"OfSRxhLJL0c=","parent_span_id":"abcdef1234567890","name":"a"},
                      {"span_id":"0123456789abcdef","parent_span_id":"OfSRxhLJL0c=","name":"b"},
                      {"span_id":"ASNFZ4mrze8=","parent_span_id":"0x0123456789ABCDEF","name":"c"}]}
            """), "test");
        Assert.Equal(["abcdef1234567890", "39f491c612c92f47", "0123456789abcdef", "0123456789abcdef"], spans.Select(s => s.SpanId));
        Assert.Equal([null, "abcdef1234567890", "39f491c612c92f47", "0123456789abcdef"], spans.Select(s => s.ParentSpanId));
        var tree = SpanTreeBuilder.Build(spans);
        Assert.Equal(["root", "a", "b"], tree.Nodes.Select(n => n.Span.Name)); // c duplicates b's ID: dropped
        Assert.Equal([0, 1, 2], tree.Nodes.Select(n => n.Depth));
    }

    private static int BackendExceptionCode(string json) =>
        Assert.Throws<BackendException>(() => SpanDecoder.DecodeTraceData(Encoding.UTF8.GetBytes(json), "test")).Code;

    [Fact]
    public void ValuesStayValid_AfterTheInputDocumentIsDisposed()
    {
        var json = File.ReadAllBytes(Path.Combine(SpanFixtures.Http, "get_trace_artifact_v3__s1-paris-t1.json"));
        IReadOnlyList<RawSpan> spans, otel;
        using (var doc = JsonDocument.Parse(json))
            spans = SpanDecoder.DecodeTraceData(doc.RootElement.GetProperty("response").GetProperty("body"));
        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(SpanFixtures.Http, "traces_get__s1-paris-t1.json"))))
            otel = SpanDecoder.DecodeOtelSpans(doc.RootElement.GetProperty("response").GetProperty("body").GetProperty("trace").GetProperty("spans"));
        // Nothing was read before the documents went back to the pool.
        var root = spans.Single(s => s.ParentSpanId is null);
        Assert.Equal(
            "What's the weather in Paris on June 12?",
            root.Attributes["mlflow.spanInputs"].GetProperty("messages")[0].GetProperty("content").GetString());
        var otelRoot = otel.Single(s => s.ParentSpanId is null);
        Assert.Equal(SpanFixtures.Canonical(root.Attributes["mlflow.spanInputs"]), SpanFixtures.Canonical(otelRoot.Attributes["mlflow.spanInputs"]));
        Assert.Equal("AGENT", otelRoot.SpanType);
    }

    [Fact]
    public void DuplicateKeys_LastValueWins_InEveryAccessOrder()
    {
        const string json = """
        {"span_id":"q83vEjRWeJA=","name":"dup","attributes":{"k":"1","mlflow.spanType":"\"TOOL\"","other":"\"x\"","k":"2","mlflow.spanType":"\"LLM\""},
         "events":[{"name":"e","attributes":{"a":1,"a":2}}]}
        """;
        using var doc = JsonDocument.Parse(json);
        var byKey = SpanDecoder.DecodeMlflowSpan(doc.RootElement);
        var enumerated = SpanDecoder.DecodeMlflowSpan(doc.RootElement);

        Assert.Equal(2, byKey.Attributes["k"].GetInt32());
        Assert.Equal("LLM", byKey.SpanType);
        Assert.Equal(["k", "mlflow.spanType", "other"], enumerated.Attributes.Keys);
        Assert.Equal(2, enumerated.Attributes["k"].GetInt32());
        Assert.Equal("LLM", enumerated.SpanType);
        Assert.Equal(2, byKey.Events[0].Attributes["a"].GetInt32());
        Assert.Single(enumerated.Events[0].Attributes);
    }

    [Theory]
    [InlineData("\"\\\"CHAIN\\\"\"", "CHAIN")]      // JSON-encoded string
    [InlineData("\"RETRIEVER\"", "RETRIEVER")]        // not JSON: the text itself
    [InlineData("\"\\\"a\\\\\\\"b\\\"\"", "a\"b")]    // escapes inside
    [InlineData("\"42\"", "UNKNOWN")]                 // JSON, but not a string
    [InlineData("\"\"", "")]                          // empty: not JSON, kept
    [InlineData("7", "UNKNOWN")]                      // not a string at all
    [InlineData("\"\\\"LLM\\\" 2\"", "\"LLM\" 2")]    // trailing tokens: not one JSON value, kept
    public void SpanType_ReadWithoutDecoding_EqualsTheDecodedValue(string rawValue, string expected)
    {
        var json = """{"span_id":"q83vEjRWeJA=","attributes":{"mlflow.spanType":""" + rawValue + "}}";
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(expected, SpanDecoder.DecodeMlflowSpan(doc.RootElement).SpanType);
        var decoded = SpanDecoder.DecodeMlflowSpan(doc.RootElement).Attributes.Single().Value;
        Assert.Equal(expected, decoded.ValueKind == JsonValueKind.String ? decoded.GetString() : "UNKNOWN");
    }

    /// <summary>Property names may be escaped in JSON; the decoder compares raw names first and must still see these.</summary>
    [Fact]
    public void EscapedPropertyNames_AreRecognised()
    {
        const string json = """
        {"span\u005fid":"q83vEjRWeJA=","n\u0061me":"esc","status":{"c\u006fde":"STATUS_CODE_ERROR"},
         "attributes":{"mlflow.span\u0054ype":"\"TOOL\"","k\\ey":"1"},"events":[{"n\u0061me":"ev","attributes":{"\u00e9":2}}]}
        """;
        using var doc = JsonDocument.Parse(json);
        var s = SpanDecoder.DecodeMlflowSpan(doc.RootElement);
        Assert.Equal("abcdef1234567890", s.SpanId);
        Assert.Equal("esc", s.Name);
        Assert.Equal("ERROR", s.Status);
        Assert.Equal("TOOL", s.SpanType);
        Assert.Equal(1, s.Attributes["k\\ey"].GetInt32());
        Assert.Equal("ev", s.Events[0].Name);
        Assert.Equal(2, s.Events[0].Attributes["é"].GetInt32());
    }

    [Fact]
    public void DeeplyNestedEncodedValue_Decodes()
    {
        var nested = new string('[', 100) + new string(']', 100);
        var json = """{"span_id":"q83vEjRWeJA=","attributes":{"deep":""" + JsonSerializer.Serialize(nested) + "}}";
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(nested, SpanDecoder.DecodeMlflowSpan(doc.RootElement).Attributes["deep"].GetRawText());
        Assert.Equal(nested, SpanDecoder.DecodeMlflowSpan(doc.RootElement).Attributes.Single().Value.GetRawText());
    }

    /// <summary>Malformed attributes fail the decode itself, as when every value was decoded up front — not a later read.</summary>
    [Theory]
    [InlineData("[{\"value\":{\"string_value\":\"x\"}}]")]                                        // no key
    [InlineData("[1]")]                                                                           // not an entry
    [InlineData("[{\"key\":2,\"value\":{}}]")]                                                    // key not a string
    [InlineData("[{\"key\":\"k\",\"value\":{\"kvlist_value\":{\"values\":[{\"value\":{}}]}}}]")]  // kvlist entry without key
    [InlineData("[{\"key\":\"k\",\"value\":{\"array_value\":{\"values\":[{\"kvlist_value\":{\"values\":[3]}}]}}}]")]
    public void MalformedOtelAttributes_ThrowAtDecode(string attributes)
    {
        using var doc = JsonDocument.Parse($$"""{"span_id":"q83vEjRWeJA=","attributes":{{attributes}}}""");
        var ex = Assert.Throws<BackendException>(() => SpanDecoder.DecodeOtelSpan(doc.RootElement));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, ex.Code);
        using var evDoc = JsonDocument.Parse("""{"span_id":"q83vEjRWeJA=","events":[{"name":"e","attributes":""" + attributes + "}]}");
        Assert.Throws<BackendException>(() => SpanDecoder.DecodeOtelSpan(evDoc.RootElement));
    }

    [Fact]
    public void OtelValueNestedTooDeeply_ThrowsAtDecode()
    {
        var value = "{}";
        for (var i = 0; i < 210; i++) value = """{"array_value":{"values":[""" + value + "]}}";
        var json = """{"span_id":"q83vEjRWeJA=","attributes":[{"key":"k","value":""" + value + "}]}";
        var element = JsonSerializer.Deserialize<JsonElement>(json, new JsonSerializerOptions { MaxDepth = 1000 });
        Assert.Throws<BackendException>(() => SpanDecoder.DecodeOtelSpan(element));
    }

    [Theory]
    [InlineData("{\"span_id\":\"q83vEjRWeJA=\",\"events\":[{\"name\":\"e\",\"attributes\":\"x\"}]}")]
    [InlineData("{\"span_id\":\"q83vEjRWeJA=\",\"events\":[3]}")]
    public void MalformedEvents_ThrowAtDecode(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.Throws<BackendException>(() => SpanDecoder.DecodeMlflowSpan(doc.RootElement));
    }

    // ------------------------------------------------------------------ SpanRows

    /// <summary>Every trace of the real server store: rows joined into one parse decode like rows parsed one by one.</summary>
    [Fact]
    public void StoreRows_JoinedDecodeLikeOneByOne()
    {
        var traces = StoreSpansTests.ReadRows().GroupBy(r => r.TraceId).ToList();
        Assert.Equal(43, traces.Count);
        foreach (var trace in traces)
        {
            using var rows = new SpanRows();
            foreach (var row in trace) rows.Add(Encoding.UTF8.GetBytes(row.Content));
            Assert.True(rows.TryDecode(out var joined), trace.Key);
            var single = trace.Select(r => SpanDecoder.DecodeMlflowSpan(JsonSerializer.Deserialize<JsonElement>(r.Content))).ToList();
            Assert.Equal(single.Count, joined.Count);
            for (var i = 0; i < single.Count; i++)
            {
                Assert.Equal(single[i].SpanId, joined[i].SpanId);
                Assert.Equal(single[i].ParentSpanId, joined[i].ParentSpanId);
                Assert.Equal(single[i].Name, joined[i].Name);
                Assert.Equal(single[i].SpanType, joined[i].SpanType);
                Assert.Equal(single[i].StartTimeNs, joined[i].StartTimeNs);
                Assert.Equal(single[i].EndTimeNs, joined[i].EndTimeNs);
                Assert.Equal(single[i].Status, joined[i].Status);
                Assert.Equal(single[i].StatusMessage, joined[i].StatusMessage);
                Assert.Equal(
                    single[i].Attributes.Select(kv => (kv.Key, SpanFixtures.Canonical(kv.Value))),
                    joined[i].Attributes.Select(kv => (kv.Key, SpanFixtures.Canonical(kv.Value))));
                Assert.Equal(single[i].Events.Count, joined[i].Events.Count);
            }
        }
    }

    private const string A = """{"span_id":"q83vEjRWeJA=","name":"a"}""";
    private const string B = """{"span_id":"OfSRxhLJL0c=","name":"b"}""";

    [Fact]
    public void Rows_WithSurroundingWhitespace_Join()
    {
        using var rows = new SpanRows();
        rows.Add(Encoding.UTF8.GetBytes(" \n" + A + "\r\n"));
        rows.Add(Encoding.UTF8.GetBytes(B + "\t"));
        Assert.True(rows.TryDecode(out var spans));
        Assert.Equal(["a", "b"], spans.Select(s => s.Name));
    }

    /// <summary>Rows that are not exactly one JSON value each must not join into something that parses.</summary>
    [Theory]
    [InlineData(A + "," + B, A)]                                   // two values in one row: would make three spans
    [InlineData("""{"span_id":"q83vEjRWeJA=","name":["a",""", """ "b"]}""")] // one value split over two rows
    [InlineData("", A)]                                            // empty row
    [InlineData("  ", A)]                                          // whitespace row
    [InlineData(A, "{\"span_id\":")]                               // invalid JSON
    [InlineData(A, A + " x")]                                      // trailing garbage
    public void Rows_ThatAreNotOneValueEach_AreNotJoined(string first, string second)
    {
        using var rows = new SpanRows();
        rows.Add(Encoding.UTF8.GetBytes(first));
        rows.Add(Encoding.UTF8.GetBytes(second));
        Assert.False(rows.TryDecode(out _));
    }

    [Fact]
    public void Rows_WithInvalidUtf8_AreNotJoined()
    {
        using var rows = new SpanRows();
        rows.Add(Encoding.UTF8.GetBytes(A));
        rows.Add([.. Encoding.UTF8.GetBytes("""{"span_id":"OfSRxhLJL0c=","name":"""), (byte)'"', 0xC3, (byte)'"', (byte)'}']);
        Assert.False(rows.TryDecode(out _));
    }

    /// <summary>
    /// Rows are collected in 1 MB chunks and a row never spans two: rows that fill a chunk to the byte, a row too long
    /// for the rest of a chunk, and a row longer than a chunk all land at the right place in the joined array.
    /// </summary>
    [Fact]
    public void RowsAcrossChunks_DecodeInOrder()
    {
        const int chunk = 1024 * 1024;
        var sizes = new[] { chunk / 2, chunk / 2, 100, chunk - 50, 3 * chunk, 200, chunk / 3 };
        var rowsText = sizes.Select((size, i) =>
        {
            // {"span_id":"…","name":"s<i>","attributes":{"mlflow.spanOutputs":"\"xxx…\""}}
            var head = $"{{\"span_id\":\"{Convert.ToBase64String(BitConverter.GetBytes((long)i + 1))}\",\"name\":\"s{i}\"," +
                $"\"attributes\":{{\"mlflow.spanOutputs\":\"\\\"";
            const string tail = "\\\"\"}}";
            return (Json: head + new string('x', size - head.Length - tail.Length) + tail, Xs: size - head.Length - tail.Length);
        }).ToList();
        Assert.Equal(sizes, rowsText.Select(r => Encoding.UTF8.GetByteCount(r.Json)));
        using var rows = new SpanRows();
        foreach (var (json, _) in rowsText) rows.Add(Encoding.UTF8.GetBytes(json));
        Assert.True(rows.TryDecode(out var spans));
        Assert.Equal(sizes.Select((_, i) => $"s{i}"), spans.Select(s => s.Name));
        Assert.Equal(rowsText.Select(r => new string('x', r.Xs)), spans.Select(s => s.Attributes["mlflow.spanOutputs"].GetString()));
    }

    /// <summary>The host's deep idle trim lets the pooled chunks go while rows may be being read: both decode.</summary>
    [Fact]
    public void RowsReadAcrossAPoolRelease_StillDecode()
    {
        using var before = new SpanRows();
        before.Add(Encoding.UTF8.GetBytes(A));
        SpanRows.ReleasePooledChunks();
        using var after = new SpanRows();
        after.Add(Encoding.UTF8.GetBytes(B));
        before.Add(Encoding.UTF8.GetBytes(B));
        Assert.True(before.TryDecode(out var first));
        Assert.True(after.TryDecode(out var second));
        Assert.Equal(["a", "b"], first.Select(s => s.Name));
        Assert.Equal(["b"], second.Select(s => s.Name));
    }

    /// <summary>
    /// The trace's announced size (MLflow's sizeStats) lets the rows be joined in place: right, too large, too small
    /// (the rows move to chunks when one does not fit), far too large, not believable, or no rows at all — the same spans.
    /// </summary>
    [Theory]
    [InlineData(1.0, 0)]       // the rows' sum
    [InlineData(1.3, 0)]       // MLflow's total_size_bytes: the trace's JSON, a little more than the rows
    [InlineData(0.5, 0)]       // too small: half the rows in place, then every row moves to chunks
    [InlineData(5.0, 0)]       // far too large: decoded from an exact copy
    [InlineData(0.0, 0)]       // nothing announced
    [InlineData(1.0, 1L << 40)] // not believable: chunks
    [InlineData(1.0, long.MaxValue)]
    public void AnnouncedRows_DecodeLikeUnannounced(double announcedShare, long announcedBytesOverride)
    {
        var utf8 = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes(
                $$$"""{"span_id":"{{{Convert.ToBase64String(BitConverter.GetBytes((long)i + 1))}}}","name":"s{{{i}}}","attributes":""" +
                $$$"""{"k":"\"{{{new string('v', i % 50)}}}\""}}""")).ToList();
        var sum = utf8.Sum(b => (long)b.Length);
        var announced = announcedBytesOverride > 0 ? announcedBytesOverride : (long)(sum * announcedShare);
        using var rows = new SpanRows(announced, utf8.Count);
        foreach (var row in utf8) rows.Add(row);
        Assert.True(rows.TryDecode(out var spans));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"s{i}"), spans.Select(s => s.Name));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => new string('v', i % 50)), spans.Select(s => s.Attributes["k"].GetString()));

        using var none = new SpanRows(announced, 0);
        Assert.True(none.TryDecode(out var empty));
        Assert.Empty(empty);
    }

    /// <summary>Joined in place, the rows are not copied again when decoded (the spans keep the array they were read into).</summary>
    [Fact]
    public void AnnouncedRows_AreNotCopiedAgain()
    {
        var utf8 = Enumerable.Range(0, 100)
            .Select(i => Encoding.UTF8.GetBytes(
                $$$"""{"span_id":"{{{Convert.ToBase64String(BitConverter.GetBytes((long)i + 1))}}}","name":"s{{{i}}}","attributes":""" +
                $$$"""{"out":"\"{{{new string('x', 10_000)}}}\""}}"""))
            .ToList();
        var total = utf8.Sum(b => (long)b.Length);
        long Allocated(SpanRows rows)
        {
            foreach (var row in utf8) rows.Add(row);
            var before = GC.GetAllocatedBytesForCurrentThread();
            Assert.True(rows.TryDecode(out var spans));
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal("s99", spans[99].Name);
            Assert.Equal(10_000, spans[42].Attributes["out"].GetString()!.Length);
            return allocated;
        }
        using (var chunked = new SpanRows()) Assert.True(Allocated(chunked) > total, "chunked rows are copied into the array the spans keep");
        using (var announced = new SpanRows(total + 500, utf8.Count)) Assert.True(Allocated(announced) < total / 10, "rows joined in place must not be copied");
    }

    [Fact]
    public void NoRows_DecodeToNoSpans()
    {
        using var rows = new SpanRows();
        Assert.True(rows.TryDecode(out var spans));
        Assert.Empty(spans);
    }

    [Fact]
    public void JoinedRows_ThatAreNotSpans_ThrowBadResponse()
    {
        using var rows = new SpanRows();
        rows.Add(Encoding.UTF8.GetBytes(A));
        rows.Add(Encoding.UTF8.GetBytes("\"not a span\""));
        var ex = Assert.Throws<BackendException>(() => rows.TryDecode(out _));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, ex.Code);
    }
}
