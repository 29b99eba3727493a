using System.Globalization;
using System.Text.Json;
using TraceIde.Core.Traces;
using TraceIde.Protocol;

namespace TraceIde.Backends.Mlflow;

/// <summary>Parses MLflow REST JSON (TraceInfo V3/V2, assessments, experiments) into contract types.</summary>
internal static class MlflowJson
{
    /// <summary>TraceInfoV3 (spec §3.2).</summary>
    public static TraceSummary ParseTraceInfoV3(JsonElement info)
    {
        if (info.ValueKind != JsonValueKind.Object) throw new FormatException("trace_info is not an object");
        var traceId = Str(info, "trace_id") ?? throw new FormatException("trace_info has no trace_id");
        var experimentId =
            (info.TryGetProperty("trace_location", out var loc) && loc.ValueKind == JsonValueKind.Object
             && loc.TryGetProperty("mlflow_experiment", out var exp) && exp.ValueKind == JsonValueKind.Object
                ? Str(exp, "experiment_id") : null)
            ?? Str(info, "experiment_id") ?? "";
        var requestTime = Str(info, "request_time");
        var duration = Str(info, "execution_duration");
        var assessments = new List<Assessment>();
        if (info.TryGetProperty("assessments", out var arr) && arr.ValueKind == JsonValueKind.Array)
            foreach (var a in arr.EnumerateArray())
                assessments.Add(ParseAssessment(a));
        return TraceSummaries.Create(
            traceId,
            experimentId,
            Str(info, "state") ?? "STATE_UNSPECIFIED",
            requestTime == null ? 0 : ParseTimestampMs(requestTime),
            duration == null ? null : ParseDurationMs(duration),
            Str(info, "request_preview"),
            Str(info, "response_preview"),
            Str(info, "client_request_id"),
            StringMap(info, "tags"),
            StringMap(info, "trace_metadata"),
            assessments);
    }

    /// <summary>TraceInfoV2 (spec §3.3): key/value arrays, ms numbers, status.</summary>
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

    /// <summary>Assessment JSON (spec §3.8).</summary>
    public static Assessment ParseAssessment(JsonElement a)
    {
        string kind;
        JsonElement? value = null;
        AssessmentError? error = null;
        if (a.TryGetProperty("feedback", out var fb) && fb.ValueKind == JsonValueKind.Object)
        {
            kind = "feedback";
            if (fb.TryGetProperty("value", out var v) && v.ValueKind != JsonValueKind.Null) value = v.Clone();
            if (fb.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object) error = ParseError(e);
        }
        else if (a.TryGetProperty("expectation", out var ex) && ex.ValueKind == JsonValueKind.Object)
        {
            kind = "expectation";
            if (ex.TryGetProperty("value", out var v) && v.ValueKind != JsonValueKind.Null) value = v.Clone();
            else if (ex.TryGetProperty("serialized_value", out var sv) && sv.ValueKind == JsonValueKind.Object
                     && Str(sv, "value") is { } text)
            {
                try
                {
                    using var doc = JsonDocument.Parse(text);
                    value = doc.RootElement.Clone();
                }
                catch (JsonException)
                {
                    value = JsonSerializer.SerializeToElement(text); // keep what we have, as a string
                }
            }
        }
        else if (a.TryGetProperty("issue", out var issue) && issue.ValueKind == JsonValueKind.Object)
        {
            kind = "issue";
            if (Str(issue, "issue_name") is { } name) value = JsonSerializer.SerializeToElement(name);
        }
        else
        {
            kind = "feedback";
        }
        if (error == null && a.TryGetProperty("error", out var topError) && topError.ValueKind == JsonValueKind.Object)
            error = ParseError(topError); // deprecated top-level error

        string? sourceType = null, sourceId = null;
        if (a.TryGetProperty("source", out var src) && src.ValueKind == JsonValueKind.Object)
        {
            sourceType = Str(src, "source_type");
            if (sourceType == "AI_JUDGE") sourceType = "LLM_JUDGE";
            sourceId = Str(src, "source_id");
        }
        var create = Str(a, "create_time");
        var update = Str(a, "last_update_time");
        return new Assessment
        {
            AssessmentId = Str(a, "assessment_id") ?? "",
            Name = Str(a, "assessment_name") ?? "",
            Kind = kind,
            Value = value,
            Error = error,
            Rationale = Str(a, "rationale"),
            SourceType = sourceType,
            SourceId = sourceId,
            SpanId = string.IsNullOrEmpty(Str(a, "span_id")) ? null : Str(a, "span_id"),
            CreateTimeMs = create == null ? null : ParseTimestampMs(create),
            LastUpdateTimeMs = update == null ? null : ParseTimestampMs(update),
            Overrides = string.IsNullOrEmpty(Str(a, "overrides")) ? null : Str(a, "overrides"),
            Valid = !(a.TryGetProperty("valid", out var valid) && valid.ValueKind == JsonValueKind.False),
            Metadata = StringMap(a, "metadata"),
        };
    }

    private static AssessmentError ParseError(JsonElement e) =>
        new(Str(e, "error_code"), Str(e, "error_message"), Str(e, "stack_trace"));

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
