using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Core.Overview;
using TraceIde.Core.Spans;
using TraceIde.Core.Traces;
using TraceIde.Protocol;

namespace TraceIde.Backends.Mlflow;

/// <summary>Parses MLflow REST JSON (TraceInfo V3/V2, assessments, experiments) into contract types.</summary>
internal static class MlflowJson
{
    /// <summary>
    /// A V3 traces/search answer ({"traces": [TraceInfoV3…], "next_page_token"}) read in one pass over its
    /// UTF-8 bytes, without a DOM: a 100-row page is ~340 KB, and building a JsonDocument and then looking
    /// every field up in it cost more than the rest of the host's work on the page. Invalid JSON is a
    /// <see cref="JsonException"/> even when the shape was wrong earlier (as with a DOM, which validates
    /// everything first); a wrong shape is a <see cref="FormatException"/>.
    /// </summary>
    public static (List<TraceSummary> Traces, string? NextPageToken) ReadSearchPageV3(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("the answer is not a JSON object");
            var traces = new List<TraceSummary>();
            string? next = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("traces"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("traces is not an array");
                    traces = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        traces.Add(ReadTraceInfoV3(ref reader, json));
                }
                else if (reader.ValueTextEquals("next_page_token"u8))
                {
                    next = ReadStr(ref reader);
                }
                else SkipValue(ref reader);
            }
            reader.Read(); // throws on text after the object, which a DOM parse refuses too
            return (traces, next);
        }
        catch (FormatException)
        {
            ThrowIfNotJson(json);
            throw;
        }
    }

    /// <summary>
    /// A QueryTraceMetrics answer ({"data_points": [{metric_name, dimensions{time_bucket…}, values}]}, spec
    /// docs/mlflow-notes.md#trace-metrics) read in one pass, as <see cref="ReadSearchPageV3"/> reads a page: the Overview's usage tab asks
    /// eleven of them per call, and a DOM per answer plus DateTimeOffset's general parser per time bucket
    /// were most of the host's own work on them. Dimensions keep MLflow's text (non-string values as their
    /// JSON text); values are numbers or numeric strings; the last of duplicate keys wins, as with a DOM.
    /// </summary>
    /// <param name="metricName">The asked metric, for points that do not name theirs.</param>
    public static List<MetricsDataPoint> ReadMetricsAnswer(ReadOnlySpan<byte> json, string metricName)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("the answer is not a JSON object");
            var points = new List<MetricsDataPoint>();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("data_points"u8))
                {
                    SkipValue(ref reader);
                    continue;
                }
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray) throw new FormatException("data_points is not an array");
                points = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    points.Add(ReadMetricsDataPoint(ref reader, json, metricName));
            }
            reader.Read(); // throws on text after the object, which a DOM parse refuses too
            return points;
        }
        catch (FormatException)
        {
            ThrowIfNotJson(json);
            throw;
        }
    }

    private static MetricsDataPoint ReadMetricsDataPoint(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string metricName)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("a data point is not an object");
        string? name = null;
        Dictionary<string, string>? dimensions = null;
        Dictionary<string, double>? values = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("metric_name"u8)) name = ReadStr(ref reader);
            else if (reader.ValueTextEquals("dimensions"u8)) dimensions = ReadStringMap(ref reader, json);
            else if (reader.ValueTextEquals("values"u8)) values = ReadMetricValues(ref reader);
            else SkipValue(ref reader);
        }
        long? bucket = null;
        dimensions ??= new Dictionary<string, string>(StringComparer.Ordinal);
        if (dimensions.Remove("time_bucket", out var text))
        {
            bucket = TryParseProtobufTimestampMs(text, out var ms) ? ms
                : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var ts) ? ts.ToUnixTimeMilliseconds()
                : throw new FormatException($"time_bucket '{text}' is not an ISO-8601 timestamp");
        }
        return new MetricsDataPoint
        {
            MetricName = name ?? metricName,
            TimeBucketMs = bucket,
            Dimensions = dimensions,
            Values = values ?? new Dictionary<string, double>(StringComparer.Ordinal),
        };
    }

    /// <summary>The values object after the property name the reader is on (empty when not an object): numbers, or numbers in strings.</summary>
    private static Dictionary<string, double> ReadMetricValues(ref Utf8JsonReader reader)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!EnterObject(ref reader)) return values;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            values[key] = reader.TokenType switch
            {
                JsonTokenType.Number => reader.GetDouble(),
                JsonTokenType.String when double.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) => x,
                _ => throw new FormatException($"value {key} is not a number"),
            };
        }
        return values;
    }

    /// <summary>
    /// A traces/get answer ({"trace": {"trace_info": …, "spans": [...]}}) from its UTF-8 bytes, which the
    /// spans keep (their attributes stay slices of it): no document of a 70 MB answer and no copy of its
    /// spans. One pass checks the whole answer is JSON (so invalid JSON is a <see cref="JsonException"/>
    /// even when the shape is wrong, as with a DOM) and finds the parts; as with a DOM lookup, the last of
    /// duplicate keys wins. <paramref name="withInfo"/> false: only the spans (trace_info not required).
    /// </summary>
    public static TraceData ReadTraceGet(ReadOnlyMemory<byte> body, bool withInfo)
    {
        var json = body.Span;
        var trace = LastObjectOrArray(json, null, "trace"u8, JsonTokenType.StartObject)
            ?? throw new FormatException("'trace' is missing");
        (int Start, int Length) info = withInfo
            ? LastObjectOrArray(json, trace, "trace_info"u8, JsonTokenType.StartObject) ?? throw new FormatException("'trace_info' is missing")
            : (0, 0);
        var spans = LastObjectOrArray(json, trace, "spans"u8, JsonTokenType.StartArray);
        return new TraceData(
            withInfo ? ParseTraceInfoV3(json.Slice(info.Start, info.Length)) : null!,
            spans is { } s ? SpanDecoder.DecodeOtelSpans(body.Slice(s.Start, s.Length)) : []);
    }

    /// <summary>
    /// Where the last property <paramref name="name"/> of the object at <paramref name="within"/> (null:
    /// the whole answer, which is then checked to be JSON to its end) lies, if it is an object or array of
    /// the kind wanted; null otherwise.
    /// </summary>
    private static (int Start, int Length)? LastObjectOrArray(
        ReadOnlySpan<byte> json,
        (int Start, int Length)? within,
        ReadOnlySpan<byte> name,
        JsonTokenType kind)
    {
        var whole = within is null;
        var offset = within?.Start ?? 0;
        var reader = new Utf8JsonReader(whole ? json : json.Slice(offset, within!.Value.Length));
        reader.Read();
        (int, int)? found = null;
        var isObject = reader.TokenType == JsonTokenType.StartObject;
        if (isObject)
        {
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var match = reader.ValueTextEquals(name);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var isKind = reader.TokenType == kind;
                reader.Skip();
                if (match) found = isKind ? (offset + start, (int)reader.BytesConsumed - start) : null;
            }
        }
        else reader.Skip();
        if (whole) reader.Read(); // throws on text after the value, which a DOM parse refuses too
        return found;
    }

    /// <summary>TraceInfoV3 (docs/mlflow-notes.md#trace-info) from the UTF-8 of the object.</summary>
    public static TraceSummary ParseTraceInfoV3(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return ReadTraceInfoV3(ref reader, json);
    }

    /// <summary>TraceInfoV3 (docs/mlflow-notes.md#trace-info) of a DOM answer (trace info, traces/get): the same reader as a search row.</summary>
    public static TraceSummary ParseTraceInfoV3(JsonElement info)
    {
        if (info.ValueKind != JsonValueKind.Object) throw new FormatException("trace_info is not an object");
        var json = JsonMarshal.GetRawUtf8Value(info);
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return ReadTraceInfoV3(ref reader, json);
    }

    /// <summary>
    /// TraceInfoV3 (docs/mlflow-notes.md#trace-info) from <paramref name="reader"/> on its first token, leaving it on the last.
    /// <paramref name="json"/> is what the reader reads (for the raw text of non-string map values). As
    /// with a DOM lookup, the last of duplicate keys wins.
    /// </summary>
    private static TraceSummary ReadTraceInfoV3(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("trace_info is not an object");
        string? traceId = null, locationExperimentId = null, experimentId = null, state = null, requestTime = null, duration = null;
        string? requestPreview = null, responsePreview = null, clientRequestId = null;
        IReadOnlyDictionary<string, string>? tags = null, metadata = null;
        List<Assessment> assessments = [];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("trace_id"u8)) traceId = ReadStr(ref reader);
            else if (reader.ValueTextEquals("trace_location"u8)) locationExperimentId = ReadLocationExperimentId(ref reader);
            else if (reader.ValueTextEquals("experiment_id"u8)) experimentId = ReadStr(ref reader);
            else if (reader.ValueTextEquals("request_time"u8)) requestTime = ReadStr(ref reader);
            else if (reader.ValueTextEquals("execution_duration"u8)) duration = ReadStr(ref reader);
            else if (reader.ValueTextEquals("state"u8)) state = ReadStr(ref reader);
            else if (reader.ValueTextEquals("request_preview"u8)) requestPreview = ReadStr(ref reader);
            else if (reader.ValueTextEquals("response_preview"u8)) responsePreview = ReadStr(ref reader);
            else if (reader.ValueTextEquals("client_request_id"u8)) clientRequestId = ReadStr(ref reader);
            else if (reader.ValueTextEquals("tags"u8)) tags = ReadStringMap(ref reader, json);
            else if (reader.ValueTextEquals("trace_metadata"u8)) metadata = ReadStringMap(ref reader, json);
            else if (reader.ValueTextEquals("assessments"u8))
            {
                reader.Read();
                assessments = [];
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip(); // not a list: no assessments
                    continue;
                }
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    assessments.Add(ReadAssessment(ref reader, json));
            }
            else SkipValue(ref reader);
        }
        if (traceId == null) throw new FormatException("trace_info has no trace_id");
        return TraceSummaries.Create(
            traceId,
            locationExperimentId ?? experimentId ?? "",
            state ?? "STATE_UNSPECIFIED",
            requestTime == null ? 0 : ParseTimestampMs(requestTime),
            duration == null ? null : ParseDurationMs(duration),
            requestPreview,
            responsePreview,
            clientRequestId,
            tags ?? new Dictionary<string, string>(StringComparer.Ordinal),
            metadata ?? new Dictionary<string, string>(StringComparer.Ordinal),
            assessments);
    }

    /// <summary>trace_location.mlflow_experiment.experiment_id, or null (either level not an object, or no id).</summary>
    private static string? ReadLocationExperimentId(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader)) return null;
        string? id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("mlflow_experiment"u8)) id = ReadStringIn(ref reader, "experiment_id"u8);
            else SkipValue(ref reader);
        }
        return id;
    }

    /// <summary>The answer of an assessment create, update or get: <c>{"assessment": {…}}</c>.</summary>
    public static Assessment ReadAssessmentAnswer(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new FormatException("the answer is not an object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("assessment"u8))
            {
                reader.Read();
                return ReadAssessment(ref reader, json);
            }
            reader.Read();
            reader.Skip();
        }
        throw new FormatException("'assessment' is missing");
    }

    /// <summary>Assessment JSON (docs/mlflow-notes.md#assessments), from <paramref name="reader"/> on its first token.</summary>
    private static Assessment ReadAssessment(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new FormatException("an assessment is not an object");
        string? id = null, name = null, rationale = null, sourceType = null, sourceId = null, spanId = null;
        string? create = null, update = null, overrides = null;
        var valid = true;
        IReadOnlyDictionary<string, string>? metadata = null;
        // The kind is the first of feedback, expectation, issue that is an object, wherever it stands.
        AssessmentPart? feedback = null, expectation = null, issue = null;
        AssessmentError? topError = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("assessment_id"u8)) id = ReadStr(ref reader);
            else if (reader.ValueTextEquals("assessment_name"u8)) name = ReadStr(ref reader);
            else if (reader.ValueTextEquals("feedback"u8)) feedback = ReadPart(ref reader);
            else if (reader.ValueTextEquals("expectation"u8)) expectation = ReadPart(ref reader);
            else if (reader.ValueTextEquals("issue"u8)) issue = ReadPart(ref reader);
            else if (reader.ValueTextEquals("error"u8)) topError = ReadError(ref reader);
            else if (reader.ValueTextEquals("source"u8)) (sourceType, sourceId) = ReadSource(ref reader);
            else if (reader.ValueTextEquals("create_time"u8)) create = ReadStr(ref reader);
            else if (reader.ValueTextEquals("last_update_time"u8)) update = ReadStr(ref reader);
            else if (reader.ValueTextEquals("rationale"u8)) rationale = ReadStr(ref reader);
            else if (reader.ValueTextEquals("span_id"u8)) spanId = ReadStr(ref reader);
            else if (reader.ValueTextEquals("overrides"u8)) overrides = ReadStr(ref reader);
            else if (reader.ValueTextEquals("valid"u8))
            {
                reader.Read();
                valid = reader.TokenType != JsonTokenType.False;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                metadata = ReadStringMap(ref reader, json);
            }
            else SkipValue(ref reader);
        }

        string kind;
        JsonElement? value = null;
        AssessmentError? error = null;
        if (feedback is { } fb)
        {
            kind = "feedback";
            value = fb.Value;
            error = fb.Error;
        }
        else if (expectation is { } ex)
        {
            kind = "expectation";
            value = ex.Value ?? (ex.SerializedValue is { } text ? ParseSerializedValue(text) : null);
        }
        else if (issue is { } iss)
        {
            kind = "issue";
            if (iss.IssueName is { } issueName) value = JsonSerializer.SerializeToElement(issueName);
        }
        else
        {
            kind = "feedback";
        }
        error ??= topError; // the deprecated top-level error

        return new Assessment
        {
            AssessmentId = id ?? "",
            Name = name ?? "",
            Kind = kind,
            Value = value,
            Error = error,
            Rationale = rationale,
            SourceType = sourceType == "AI_JUDGE" ? "LLM_JUDGE" : sourceType,
            SourceId = sourceId,
            SpanId = string.IsNullOrEmpty(spanId) ? null : spanId,
            CreateTimeMs = create == null ? null : ParseTimestampMs(create),
            LastUpdateTimeMs = update == null ? null : ParseTimestampMs(update),
            Overrides = string.IsNullOrEmpty(overrides) ? null : overrides,
            Valid = valid,
            Metadata = metadata ?? new Dictionary<string, string>(StringComparer.Ordinal),
        };
    }

    /// <summary>The object under feedback/expectation/issue: what each kind reads of it.</summary>
    private sealed record AssessmentPart(JsonElement? Value, AssessmentError? Error, string? SerializedValue, string? IssueName);

    /// <summary>The part, or null when it is not an object (then it does not decide the kind).</summary>
    private static AssessmentPart? ReadPart(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader)) return null;
        JsonElement? value = null;
        AssessmentError? error = null;
        string? serialized = null, issueName = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("value"u8))
            {
                reader.Read();
                value = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                error = ReadError(ref reader);
            }
            else if (reader.ValueTextEquals("serialized_value"u8))
            {
                serialized = ReadStringIn(ref reader, "value"u8);
            }
            else if (reader.ValueTextEquals("issue_name"u8))
            {
                issueName = ReadStr(ref reader);
            }
            else SkipValue(ref reader);
        }
        return new AssessmentPart(value, error, serialized, issueName);
    }

    /// <summary>An expectation's serialized_value.value: its JSON, or the text itself when it is not JSON.</summary>
    private static JsonElement ParseSerializedValue(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text); // keep what we have, as a string
        }
    }

    /// <summary>source.source_type and source.source_id; both null when source is not an object.</summary>
    private static (string? Type, string? Id) ReadSource(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader)) return (null, null);
        string? type = null, id = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("source_type"u8)) type = ReadStr(ref reader);
            else if (reader.ValueTextEquals("source_id"u8)) id = ReadStr(ref reader);
            else SkipValue(ref reader);
        }
        return (type, id);
    }

    /// <summary>{error_code, error_message, stack_trace}, or null when the value is not an object.</summary>
    private static AssessmentError? ReadError(ref Utf8JsonReader reader)
    {
        if (!EnterObject(ref reader)) return null;
        string? code = null, message = null, stack = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("error_code"u8)) code = ReadStr(ref reader);
            else if (reader.ValueTextEquals("error_message"u8)) message = ReadStr(ref reader);
            else if (reader.ValueTextEquals("stack_trace"u8)) stack = ReadStr(ref reader);
            else SkipValue(ref reader);
        }
        return new AssessmentError(code, message, stack);
    }

    /// <summary>
    /// Moves to the value after the property name the reader is on: true when it is an object (read its
    /// properties next), otherwise the value is skipped and false.
    /// </summary>
    private static bool EnterObject(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.StartObject) return true;
        reader.Skip();
        return false;
    }

    /// <summary>
    /// The string property <paramref name="name"/> of the object after the property name the reader is on
    /// (the last of duplicates, as with a DOM); null when the value is not an object or lacks it.
    /// </summary>
    private static string? ReadStringIn(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        if (!EnterObject(ref reader)) return null;
        string? value = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals(name)) value = ReadStr(ref reader);
            else SkipValue(ref reader);
        }
        return value;
    }

    /// <summary>Skips the value after the property name the reader is on (a key this parser does not read).</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        reader.Skip();
    }

    /// <summary>
    /// The value after the property name the reader is on, as <see cref="Str"/> reads it: a string, a
    /// number's text, otherwise null (the value skipped).
    /// </summary>
    private static string? ReadStr(ref Utf8JsonReader reader)
    {
        reader.Read();
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Number:
                return Encoding.UTF8.GetString(reader.ValueSpan);
            default:
                reader.Skip();
                return null;
        }
    }

    /// <summary>
    /// The object after the property name the reader is on, as <see cref="StringMap"/> reads it: string
    /// values as strings, any other value as its JSON text; empty when the value is not an object.
    /// </summary>
    private static Dictionary<string, string> ReadStringMap(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!EnterObject(ref reader)) return result;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    result[key] = reader.GetString()!;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    var start = checked((int)reader.TokenStartIndex);
                    reader.Skip();
                    result[key] = Encoding.UTF8.GetString(json[start..checked((int)reader.BytesConsumed)]);
                    break;
                default: // number, true, false, null: the literal's text
                    result[key] = Encoding.UTF8.GetString(reader.ValueSpan);
                    break;
            }
        }
        return result;
    }

    /// <summary>Throws the <see cref="JsonException"/> a DOM parse of <paramref name="json"/> would have thrown, if any.</summary>
    private static void ThrowIfNotJson(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
        }
    }

    /// <summary>TraceInfoV2 (docs/mlflow-notes.md#trace-info): key/value arrays, ms numbers, status.</summary>
    public static TraceSummary ParseTraceInfoV2(JsonElement info)
    {
        if (info.ValueKind != JsonValueKind.Object) throw new FormatException("trace_info is not an object");
        var traceId = Str(info, "request_id") ?? throw new FormatException("trace_info has no request_id");
        var status = Str(info, "status");
        var state = status switch
        {
            null or "TRACE_STATUS_UNSPECIFIED" => "STATE_UNSPECIFIED",
            _ => status,
        };
        return TraceSummaries.Create(
            traceId,
            Str(info, "experiment_id") ?? "",
            state,
            Long(info, "timestamp_ms") ?? 0,
            Long(info, "execution_time_ms"),
            null,
            null,
            null,
            KeyValueArray(info, "tags"),
            KeyValueArray(info, "request_metadata"),
            []);
    }

    public static Experiment ParseExperiment(JsonElement e)
    {
        var tags = KeyValueArray(e, "tags");
        return new Experiment
        {
            ExperimentId = Str(e, "experiment_id") ?? throw new FormatException("experiment has no experiment_id"),
            Name = Str(e, "name") ?? "",
            IsGenAi = tags.TryGetValue("mlflow.experimentKind", out var kind) && kind == "genai_development",
            CreationTimeMs = Long(e, "creation_time"),
            LastUpdateTimeMs = Long(e, "last_update_time"),
            LifecycleStage = Str(e, "lifecycle_stage"),
            Tags = tags,
        };
    }

    /// <summary>RFC 3339 (protobuf Timestamp JSON, 0–9 fractional digits) to Unix ms.</summary>
    public static long ParseTimestampMs(string text)
    {
        if (TryParseProtobufTimestampMs(text.AsSpan().Trim(), out var fast)) return fast;
        var s = text.Trim();
        // .NET parses at most 7 fractional digits; protobuf may send 9.
        var dot = s.IndexOf('.');
        if (dot >= 0)
        {
            var end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) s = s[..(dot + 8)] + s[end..];
        }
        if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
            throw new FormatException($"Not an RFC 3339 timestamp: '{text}'");
        return dto.ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// The form protobuf writes, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)", read directly: a search page
    /// has several hundred timestamps and DateTimeOffset's general parser was a visible part of reading one.
    /// Same answer as the general path (first 7 fractional digits, ms rounded down); false for anything
    /// else (other forms, out-of-range fields), which the general path then decides.
    /// </summary>
    private static bool TryParseProtobufTimestampMs(ReadOnlySpan<char> s, out long ms)
    {
        ms = 0;
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
        if (!Digits(s.Slice(0, 4), out var year) || !Digits(s.Slice(5, 2), out var month) || !Digits(s.Slice(8, 2), out var day)
            || !Digits(s.Slice(11, 2), out var hour) || !Digits(s.Slice(14, 2), out var minute) || !Digits(s.Slice(17, 2), out var second))
            return false;
        var i = 19;
        long fraction = 0; // in ticks (7 digits)
        if (s[i] == '.')
        {
            var start = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
            if (i == start) return false;
            for (var k = 0; k < 7; k++) fraction = fraction * 10 + (start + k < i ? s[start + k] - '0' : 0);
        }
        int offsetMinutes;
        if (i == s.Length - 1 && s[i] == 'Z')
        {
            offsetMinutes = 0;
        }
        else if (i == s.Length - 6 && s[i] is '+' or '-' && s[i + 3] == ':'
                 && Digits(s.Slice(i + 1, 2), out var oh) && Digits(s.Slice(i + 4, 2), out var om) && om < 60 && oh * 60 + om <= 14 * 60)
        {
            offsetMinutes = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
        }
        else
        {
            return false;
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        var utcTicks = new DateTime(year, month, day, hour, minute, second).Ticks + fraction - offsetMinutes * TimeSpan.TicksPerMinute;
        if (utcTicks < DateTime.MinValue.Ticks || utcTicks > DateTime.MaxValue.Ticks) return false;
        ms = utcTicks / TimeSpan.TicksPerMillisecond - DateTimeOffset.UnixEpoch.Ticks / TimeSpan.TicksPerMillisecond;
        return true;

        static bool Digits(ReadOnlySpan<char> d, out int value)
        {
            value = 0;
            foreach (var c in d)
            {
                if (!char.IsAsciiDigit(c)) return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }
    }

    /// <summary>protobuf Duration JSON ("2.210s", "2s") to ms (rounded).</summary>
    public static long ParseDurationMs(string text)
    {
        var s = text.Trim();
        if (s.EndsWith('s')) s = s[..^1];
        if (!decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            throw new FormatException($"Not a duration: '{text}'");
        return (long)Math.Round(seconds * 1000m, MidpointRounding.AwayFromZero);
    }

    public static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                _ => null,
            }
            : null;

    public static long? Long(JsonElement obj, string name)
    {
        if (obj.ValueKind != JsonValueKind.Object || !obj.TryGetProperty(name, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number)
            return v.TryGetInt64(out var l) ? l : (long)v.GetDouble();
        if (v.ValueKind == JsonValueKind.String && long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p))
            return p;
        return null;
    }

    public static IReadOnlyDictionary<string, string> StringMap(JsonElement obj, string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj.TryGetProperty(name, out var m) && m.ValueKind == JsonValueKind.Object)
            foreach (var p in m.EnumerateObject())
                result[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
        return result;
    }

    public static IReadOnlyDictionary<string, string> KeyValueArray(JsonElement obj, string name)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj.TryGetProperty(name, out var arr) && arr.ValueKind == JsonValueKind.Array)
            foreach (var kv in arr.EnumerateArray())
                if (Str(kv, "key") is { } key)
                    result[key] = Str(kv, "value") ?? "";
        return result;
    }
}
