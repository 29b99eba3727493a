using System.Text;
using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

/// <summary>
/// <see cref="SpanDecoder.TraceDataStream"/>: a trace artifact decoded while its bytes arrive gives exactly what
/// the whole-body decode gives — for MLflow's recorded artifacts cut into reads of any size, and for every
/// shape and fault the whole-body decode handles (then it is that decode which answers).
/// </summary>
public sealed class TraceDataStreamTests
{
    public static TheoryData<string, int> RecordedInReads() => new()
    {
        { "get_trace_artifact_v3__s1-paris-t1", 1 },
        { "get_trace_artifact_v3__s1-paris-t1", 7 },
        { "get_trace_artifact_v2__s1-paris-t1", 13 },
        { "get_trace_artifact_v3__batch-digest-500", 1000 },
        { "get_trace_artifact_v3__batch-digest-500", 16 * 1024 },
        { "get_trace_artifact_v3__batch-digest-500", int.MaxValue },
    };

    /// <summary>The recording's body as MLflow sent it: its traces.json text.</summary>
    private static byte[] ArtifactBytes(string recording) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(SpanFixtures.Body(recording)));

    /// <summary>Feeds <paramref name="body"/> in reads of <paramref name="readSize"/> bytes, as a response stream would, into one growing copy.</summary>
    private static (IReadOnlyList<RawSpan> Spans, int DecodedBeforeLastRead) Stream(byte[] body, int readSize, string what = "the trace artifact")
    {
        var stream = new SpanDecoder.TraceDataStream();
        var received = new byte[body.Length];
        var length = 0;
        var beforeLast = 0;
        while (length < body.Length)
        {
            beforeLast = stream.Decoded;
            var n = Math.Min(readSize, body.Length - length);
            body.AsSpan(length, n).CopyTo(received.AsSpan(length));
            length += n;
            stream.Advance(received.AsMemory(0, length));
        }
        return (stream.Complete(received, what), beforeLast);
    }

    private static string Describe(RawSpan s) =>
        $"{s.SpanId}|{s.ParentSpanId}|{s.Name}|{s.StartTimeNs}|{s.EndTimeNs}|{s.Status}|{s.StatusMessage}|{s.SpanType}|" +
        string.Join(",", s.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + SpanFixtures.Canonical(a.Value))) + "|" +
        string.Join(",", s.Events.Select(e => $"{e.Name}@{e.TimeNs}:" + string.Join(
            ";",
            e.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => a.Key + "=" + SpanFixtures.Canonical(a.Value)))));

    [Theory]
    [MemberData(nameof(RecordedInReads))]
    public void A_recorded_artifact_read_in_pieces_decodes_to_the_same_spans_as_the_whole_body(string recording, int readSize)
    {
        var body = ArtifactBytes(recording);
        var whole = SpanDecoder.DecodeTraceData(body, "the trace artifact");
        var (streamed, _) = Stream(body, readSize);
        Assert.Equal(whole.Select(Describe), streamed.Select(Describe));
    }

    [Fact]
    public void Spans_are_decoded_as_their_bytes_arrive_not_after_the_last_one()
    {
        var body = ArtifactBytes("get_trace_artifact_v3__batch-digest-500");
        var stream = new SpanDecoder.TraceDataStream();
        var half = body.Length / 2;
        stream.Advance(body.AsMemory(0, half));
        Assert.InRange(stream.Decoded, 200, 300); // about half the spans, each complete
        stream.Advance(body.AsMemory(0, body.Length - 2)); // all but the array's and the document's end
        Assert.Equal(500, stream.Decoded);
        Assert.Equal(500, stream.Complete(body, "the trace artifact").Count);
    }

    public static TheoryData<string> OtherShapes() => new()
    {
        """[{"span_id": "AAAAAAAAAAE=", "name": "bare array"}]""",
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "first"}], "spans": [{"span_id": "AAAAAAAAAAI=", "name": "last wins"}]}""",
        """{"other": {"x": [1, 2, {"y": "z"}]}, "spans": [{"span_id": "AAAAAAAAAAE=", "name": "after another property"}], "tail": 1}""",
        """{"spans": []}""",
        """{}""",
        "\"{\\\"spans\\\": [{\\\"span_id\\\": \\\"AAAAAAAAAAE=\\\", \\\"name\\\": \\\"a document in a string\\\"}]}\"",
    };

    [Theory]
    [MemberData(nameof(OtherShapes))]
    public void Any_other_shape_gives_what_the_whole_body_decode_gives(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        foreach (var readSize in new[] { 1, 5, int.MaxValue })
        {
            object Outcome(Func<IReadOnlyList<RawSpan>> decode)
            {
                try { return decode().Select(Describe).ToList(); }
                catch (BackendException e) { return e.Message; }
            }
            Assert.Equal(Outcome(() => SpanDecoder.DecodeTraceData(body, "the trace artifact")), Outcome(() => Stream(body, readSize).Spans));
        }
    }

    public static TheoryData<string> Faults() => new()
    {
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a"}, 42]}""",                  // an element that is not a span
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a"}, {"name": "no id"}]}""",     // a span without an ID
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a"}, {"span_id": "AAAA""",       // cut off
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a"}]} trailing""",                // text after the document
        """{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a"},]}""",                      // a trailing comma, which JSON refuses
        """{"spans": {"span_id": "AAAAAAAAAAE="}}""",                                       // spans not an array
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void A_fault_fails_with_the_whole_body_decodes_error(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var expected = Assert.Throws<BackendException>(() => SpanDecoder.DecodeTraceData(body, "the trace artifact"));
        foreach (var readSize in new[] { 1, 3, int.MaxValue })
        {
            var actual = Assert.Throws<BackendException>(() => Stream(body, readSize));
            Assert.Equal((expected.Code, expected.Message), (actual.Code, actual.Message));
        }
    }

    [Fact]
    public void Nesting_deeper_than_a_document_allows_is_refused_as_the_whole_body_decode_refuses_it()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70));
        var body = Encoding.UTF8.GetBytes(
            $$"""{"spans": [{"span_id": "AAAAAAAAAAE=", "name": "a", "attributes": {"x": {{JsonSerializer.Serialize(deep)}}}, "deep": {{deep}}}]}""");
        var expected = Assert.Throws<BackendException>(() => SpanDecoder.DecodeTraceData(body, "the trace artifact"));
        var actual = Assert.Throws<BackendException>(() => Stream(body, 64));
        Assert.Equal(expected.Message, actual.Message);
    }
}
