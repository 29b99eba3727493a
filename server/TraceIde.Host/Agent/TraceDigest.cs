using System.Text.Json;
using System.Text.Json.Nodes;
using TraceIde.Core.Source;
using TraceIde.Core.Spans;
using TraceIde.Core.Traces;
using TraceIde.Protocol;

namespace TraceIde.Host.Agent;

/// <summary>
/// get_trace's answer: a trace summarized to fit a token budget, whatever its size. The parts a model needs to
/// find what went wrong come first — the header, the failing spans with their exceptions, the critical path, the
/// spans with the most self time, the assessments — and each list is cut from its least useful end until the
/// answer fits; <c>omitted</c> counts what was cut, so the model knows to ask (expandSpanId, get_span).
/// </summary>
public static class TraceDigest
{
    public const int MinTokens = 500, MaxTokens = 20_000, DefaultTokens = 2000;

    /// <summary>
    /// Tokens are estimated as characters ÷ 2.5, on the safe side of real tokenizers for this text: English prose is
    /// about 4 characters per token, but span IDs, numbers and JSON punctuation are far fewer — a summary made
    /// nearly all of names and IDs overshot its budget at ÷ 3 (docs/PERFORMANCE.md). The tests count every budgeted
    /// answer with GPT-4o's tokenizer.
    /// </summary>
    public const double CharsPerToken = 2.5;

    public static int EstimateTokens(string text) => (int)Math.Ceiling(text.Length / CharsPerToken);

    /// <summary>How much of each part is kept; shrunk step by step until the answer fits.</summary>
    private sealed record Caps
    {
        public int Errors { get; init; } = 20;
        public int Frames { get; init; } = 6;
        public int Critical { get; init; } = 30;
        public int Slowest { get; init; } = 8;
        public int Assessments { get; init; } = 30;
        public int Text { get; init; } = 300;
        public int Children { get; init; } = 30;
        public int Tags { get; init; } = 15;
        /// <summary>The "next" hint (the tool descriptions say the same, so it goes when space is short).</summary>
        public bool Hints { get; init; } = true;
    }

    /// <summary>Least useful first: what a model needs least to find a failure's cause goes first, and cuts go deeper in rounds.</summary>
    private static readonly Func<Caps, Caps>[] Shrink =
    [
        c => c with { Slowest = 4 }, c => c with { Text = 150 }, c => c with { Assessments = 15 }, c => c with { Critical = 16 },
        c => c with { Tags = 5 }, c => c with { Children = 10 }, c => c with { Slowest = 2 }, c => c with { Frames = 3 },
        c => c with { Errors = 10 }, c => c with { Assessments = 8 }, c => c with { Critical = 8 }, c => c with { Text = 80 },
        c => c with { Slowest = 0 }, c => c with { Hints = false }, c => c with { Assessments = 4 }, c => c with { Children = 3 }, c => c with { Frames = 1 },
        c => c with { Errors = 5 }, c => c with { Critical = 4 }, c => c with { Tags = 0 }, c => c with { Text = 40 },
        c => c with { Assessments = 0 }, c => c with { Errors = 2 }, c => c with { Frames = 0 }, c => c with { Children = 0 },
        c => c with { Errors = 1 }, c => c with { Critical = 2 }, c => c with { Text = 20 },
    ];

    public static JsonObject Build(TraceSummary info, SpanTree tree, int maxTokens, string? expandSpanId)
    {
        var facts = new Facts(info, tree, expandSpanId);
        var caps = new Caps();
        JsonObject answer = facts.Render(caps, maxTokens);
        foreach (var shrink in Shrink)
        {
            if (Fits(answer, maxTokens)) break;
            caps = shrink(caps);
            answer = facts.Render(caps, maxTokens);
        }
        var text = answer.ToJsonString(AgentTools.Json);
        ((JsonObject)answer["budget"]!)["estimatedTokens"] = EstimateTokens(text) + 2; // the figure's own digits
        return answer;
    }

    private static bool Fits(JsonObject answer, int maxTokens) =>
        EstimateTokens(answer.ToJsonString(AgentTools.Json)) + 4 <= maxTokens; // + the estimate's digits, written after

    /// <summary>What the summary is made of, computed once; <see cref="Render"/> writes it under given caps.</summary>
    private sealed class Facts
    {
        private readonly TraceSummary _info;
        private readonly SpanTree _tree;
        private readonly SpanNode[] _errors;
        private readonly int _errorCount;
        private readonly SpanNode[] _critical;
        private readonly SpanNode[] _slowest;
        private readonly Dictionary<string, int> _types;
        private readonly SpanNode? _expanded;
        private readonly SpanNode[] _children;
        private readonly string? _request, _response;

        public Facts(TraceSummary info, SpanTree tree, string? expandSpanId)
        {
            _info = info;
            _tree = tree;
            var nodes = tree.Nodes;
            // Deepest first: an error rises through its parents, and the deepest failing span is where it began.
            var failing = nodes.Where(n => n.Span.Status == "ERROR" || n.Span.Events.Any(e => e.Name == "exception")).ToList();
            _errorCount = failing.Count;
            _errors = failing.OrderByDescending(n => n.Span.Events.Any(e => e.Name == "exception"))
                .ThenByDescending(n => n.Depth)
                .ThenBy(n => n.StartMs)
                .Take(50)
                .ToArray();
            _critical = nodes.Where(n => n.OnCriticalPath).ToArray();
            _slowest = nodes.OrderByDescending(n => n.SelfTimeMs).Take(8).ToArray();
            _types = nodes.GroupBy(n => n.Span.SpanType).OrderByDescending(g => g.Count()).ToDictionary(g => g.Key, g => g.Count());
            if (expandSpanId != null)
            {
                var at = -1;
                for (var i = 0; i < nodes.Count && at < 0; i++)
                {
                    if (string.Equals(nodes[i].Span.SpanId, expandSpanId, StringComparison.OrdinalIgnoreCase)) at = i;
                }
                if (at >= 0)
                {
                    _expanded = nodes[at];
                    // Pre-order: the children are the following nodes one level deeper, until the subtree ends.
                    var children = new List<SpanNode>();
                    for (var i = at + 1; i < nodes.Count && nodes[i].Depth > _expanded.Depth; i++)
                    {
                        if (nodes[i].Depth == _expanded.Depth + 1) children.Add(nodes[i]);
                    }
                    _children = children.ToArray();
                }
            }
            _children ??= [];
            _request = Preview(info.RequestPreview);
            _response = Preview(info.ResponsePreview);
        }

        public JsonObject Render(Caps c, int maxTokens)
        {
            var omitted = new JsonObject();
            void Omit(string what, int n)
            {
                if (n > 0) omitted[what] = n;
            }

            var shown = new Dictionary<string, string>(StringComparer.Ordinal);
            var errors = _errors.Take(c.Errors).Select(n => (JsonNode)ErrorSpan(n, c, shown)).ToArray();
            Omit("errorSpans", _errorCount - errors.Length);
            var critical = CriticalPath(c.Critical, out var criticalCut);
            Omit("criticalPathSpans", criticalCut);
            var slowest = _slowest.Take(c.Slowest).Select(n => (JsonNode)Brief(n, c)).ToArray();
            var assessments = _info.Assessments.Take(c.Assessments).Select(a => (JsonNode)Assessment(a, c)).ToArray();
            Omit("assessments", _info.Assessments.Count - assessments.Length);

            var answer = new JsonObject
            {
                ["trace"] = Header(c),
                ["spanTypes"] = new JsonObject(_types.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["errors"] = new JsonArray(errors),
                ["criticalPath"] = new JsonArray(critical),
                ["mostSelfTime"] = new JsonArray(slowest),
                ["assessments"] = new JsonArray(assessments),
            };
            if (_expanded != null)
            {
                var children = _children.Take(c.Children).Select(n => (JsonNode)Brief(n, c)).ToArray();
                Omit("expandedChildren", _children.Length - children.Length);
                var span = Brief(_expanded, c);
                span["parentSpanId"] = _expanded.Span.ParentSpanId;
                span["status"] = _expanded.Span.Status;
                span["statusMessage"] = AgentText.Clip(Blank(_expanded.Span.StatusMessage), c.Text);
                span["children"] = _expanded.ChildCount;
                answer["expanded"] = new JsonObject { ["span"] = span.WithoutNulls(), ["children"] = new JsonArray(children) };
            }
            answer["omitted"] = omitted;
            if (c.Hints) answer["next"] = "get_span(traceId, spanId) for a span's inputs and outputs; get_trace with expandSpanId for its children; " +
                "locate_span_source for its code.";
            answer["budget"] = new JsonObject { ["maxTokens"] = maxTokens, ["estimatedTokens"] = 0 };
            return answer;
        }

        private JsonObject Header(Caps c)
        {
            var i = _info;
            var tags = i.Tags.Where(kv => !kv.Key.StartsWith("mlflow.", StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            var tagObject = new JsonObject(tags.Take(c.Tags)
                .Select(kv => KeyValuePair.Create(AgentText.Clip(kv.Key, 60)!, (JsonNode?)AgentText.Clip(kv.Value, 80))));
            var header = new JsonObject
            {
                ["traceId"] = i.TraceId,
                ["experimentId"] = i.ExperimentId,
                ["name"] = AgentText.Clip(i.Name, 120),
                ["state"] = i.State,
                ["requestTime"] = AgentText.Time(i.RequestTimeMs),
                ["durationMs"] = i.DurationMs,
                ["spans"] = _tree.Nodes.Count,
                ["depth"] = _tree.Nodes.Count == 0 ? 0 : _tree.MaxDepth + 1,
                ["session"] = AgentText.Clip(i.Session, 120),
                ["user"] = AgentText.Clip(i.User, 120),
                ["tokens"] = i.Tokens is { } t ? new JsonObject
                {
                    ["input"] = t.InputTokens,
                    ["output"] = t.OutputTokens,
                    ["total"] = t.TotalTokens,
                    ["cacheReadInput"] = t.CacheReadInputTokens
                }.WithoutNulls() : null,
                ["cost"] = Cost(i.Metadata),
                ["request"] = AgentText.Clip(_request, c.Text),
                ["response"] = AgentText.Clip(_response, c.Text),
                ["tags"] = tagObject.Count > 0 ? tagObject : null,
                ["warnings"] = _tree.Warnings.Count > 0 ? new JsonArray(_tree.Warnings.Take(3).Select(w => (JsonNode)AgentText.Clip(w, 200)!).ToArray()) : null,
            };
            if (tags.Count > c.Tags) header["tagsOmitted"] = tags.Count - c.Tags;
            return header.WithoutNulls();
        }

        /// <summary>The chain of spans that set the trace's duration, root to leaf; cut in the middle (root and leaf end are kept).</summary>
        private JsonNode[] CriticalPath(int cap, out int cut)
        {
            cut = Math.Max(0, _critical.Length - cap);
            var kept = cut == 0 ? _critical : _critical.Take((cap + 1) / 2).Concat(_critical.Skip(_critical.Length - cap / 2)).ToArray();
            return kept.Select(n => (JsonNode)new JsonObject
            {
                ["spanId"] = n.Span.SpanId,
                ["name"] = AgentText.Clip(n.Span.Name, 80),
                ["type"] = n.Span.SpanType,
                ["durationMs"] = Ms(n.DurationMs),
                ["selfMs"] = Ms(n.SelfTimeMs),
            }.WithoutNulls()).ToArray();
        }

        private static JsonObject Brief(SpanNode n, Caps c) => new JsonObject
        {
            ["spanId"] = n.Span.SpanId,
            ["name"] = AgentText.Clip(n.Span.Name, Math.Min(80, c.Text)),
            ["type"] = n.Span.SpanType,
            ["status"] = n.Span.Status == "ERROR" ? "ERROR" : null,
            ["depth"] = n.Depth,
            ["durationMs"] = Ms(n.DurationMs),
            ["selfMs"] = Ms(n.SelfTimeMs),
        }.WithoutNulls();

        /// <param name="shown">Exceptions already written, by content → span ID: MLflow records an exception that rises
        /// through several spans on each of them, and the copies would only cost tokens.</param>
        private static JsonObject ErrorSpan(SpanNode n, Caps c, Dictionary<string, string> shown)
        {
            var o = Brief(n, c);
            o["message"] = AgentText.Clip(Blank(n.Span.StatusMessage), c.Text);
            if (n.Span.Events.FirstOrDefault(e => e.Name == "exception") is { } ex)
            {
                var stack = Str(ex.Attributes, "exception.stacktrace");
                var frames = StackTraceParser.Parse(stack).ToList();
                // Python prints the innermost call last; JavaScript and .NET first. Innermost first here.
                if (stack?.Contains("most recent call last", StringComparison.Ordinal) == true) frames.Reverse();
                var key = $"{Str(ex.Attributes, "exception.type")}\n{Str(ex.Attributes, "exception.message")}\n{stack}";
                if (shown.TryGetValue(key, out var sameAs))
                {
                    o["exception"] = $"the same as span {sameAs}'s";
                    if (o["message"]?.GetValue<string>() == Str(ex.Attributes, "exception.type") + ": " + Str(
                        ex.Attributes,
                        "exception.message")) o.Remove("message");
                    return o.WithoutNulls();
                }
                shown[key] = n.Span.SpanId;
                o["exception"] = new JsonObject
                {
                    ["type"] = AgentText.Clip(Str(ex.Attributes, "exception.type"), 120),
                    ["message"] = AgentText.Clip(Str(ex.Attributes, "exception.message"), c.Text),
                    ["framesInnermostFirst"] = c.Frames == 0 || frames.Count == 0 ? null : new JsonArray(frames.Take(c.Frames)
                        .Select(f => (JsonNode)$"{AgentText.Clip(f.Path, 160)}:{f.Line}{(f.Function is { } fn ? " in " + AgentText.Clip(fn, 80) : "")}")
                            .ToArray()),
                    ["framesOmitted"] = frames.Count > c.Frames && c.Frames > 0 ? frames.Count - c.Frames : null,
                }.WithoutNulls();
            }
            return o.WithoutNulls();
        }

        private static JsonObject Assessment(Assessment a, Caps c) => new JsonObject
        {
            ["name"] = AgentText.Clip(a.Name, 80),
            ["kind"] = a.Kind,
            ["value"] = a.Value is { } v ? AgentText.Value(v, c.Text) : null,
            ["error"] = a.Error is { } e ? AgentText.Clip($"{e.Code}: {e.Message}", c.Text) : null,
            ["rationale"] = AgentText.Clip(a.Rationale, Math.Min(c.Text, 200)),
            ["source"] = a.SourceType is null ? null : $"{a.SourceType}{(a.SourceId is { } id ? ":" + AgentText.Clip(id, 60) : "")}",
            ["spanId"] = a.SpanId,
            ["overridden"] = a.Valid ? null : true,
        }.WithoutNulls();

        private static JsonNode? Cost(IReadOnlyDictionary<string, string> metadata)
        {
            if (!metadata.TryGetValue("mlflow.trace.cost", out var raw)) return null;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                return doc.RootElement.TryGetProperty("total_cost", out var total) && total.ValueKind == JsonValueKind.Number
                    ? new JsonObject { ["totalUsd"] = Math.Round(total.GetDouble(), 8) } // float noise (0.0027697899999999994) costs tokens
                    : null;
            }
            catch (JsonException)
            {
                return null; // a cost the application wrote by hand in another shape: leave it out rather than guess
            }
        }

        /// <summary>MLflow's previews are JSON text of the request/response; shown as text, never parsed as instructions.</summary>
        private static string? Preview(string? p) => string.IsNullOrWhiteSpace(p) ? null : p;

        private static string? Blank(string? s) => string.IsNullOrEmpty(s) ? null : s;

        private static string? Str(IReadOnlyDictionary<string, JsonElement> attributes, string key) =>
            attributes.TryGetValue(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : null;

        private static double? Ms(double? v) => v is { } x ? Math.Round(x, 1) : null;
    }
}
