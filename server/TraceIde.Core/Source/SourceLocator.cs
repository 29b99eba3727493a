using System.Globalization;
using System.Text.Json;
using TraceIde.Core.Spans;
using TraceIde.Protocol;

namespace TraceIde.Core.Source;

/// <summary>
/// Ranks the workspace locations of a span's code (MLflow records no file or line, so this is evidence,
/// weighed): (1) OpenTelemetry `code.*` attributes; (2) frames of exception stack traces in the span's
/// events, mapped to the workspace by path suffix; (3) the span's function name (`mlflow.spanFunctionName`)
/// or name matched against definitions, including `@mlflow.trace(name=…)`, ranked with the trace's entry
/// script (`mlflow.source.name`) and module hints (dotted qualifiers, `code.namespace`); (4) for a root
/// span, the entry script itself. Every candidate is returned with a confidence and a reason.
/// Confidence tiers, so that the order follows the evidence's strength: code attributes 0.9–0.99; a stack
/// frame in the span's own function 0.8–0.9; definitions ≤ 0.84 (0.8 × a score ≤ 1.05); other frames
/// ≤ 0.6; the entry script ≤ 0.3. A path mapped by suffix only, or ambiguously, lowers each within its tier.
/// </summary>
public static class SourceLocator
{
    public const string SourceNameKey = "mlflow.source.name";
    public const string SpanFunctionNameKey = "mlflow.spanFunctionName";

    public static IReadOnlyList<SourceLocation> Locate(TraceSummary trace, RawSpan span, WorkspaceIndex.View view, IReadOnlyList<string> roots)
    {
        var found = new List<SourceLocation>();
        var entryScript = trace.Metadata.GetValueOrDefault(SourceNameKey) ?? trace.Tags.GetValueOrDefault(SourceNameKey);

        // (1) OpenTelemetry code attributes (old and new semantic-convention names).
        var codePath = Text(span, "code.file.path") ?? Text(span, "code.filepath");
        var codeLine = Int(span, "code.line.number") ?? Int(span, "code.lineno");
        var codeColumn = Int(span, "code.column.number") ?? Int(span, "code.column");
        var codeFunction = Text(span, "code.function.name") ?? Text(span, "code.function");
        var codeNamespace = Text(span, "code.namespace");
        if (codePath != null)
        {
            var matches = PathMapper.Map(view, roots, codePath);
            foreach (var m in matches)
                found.Add(new SourceLocation
                {
                    Path = m.Path,
                    Line = Math.Max(1, codeLine ?? 1),
                    Column = codeColumn,
                    Confidence = Math.Round((codeLine == null ? 0.7 : 0.9) + 0.09 * PathMapper.Confidence(m, matches.Count), 3),
                    Reason = $"OpenTelemetry code attributes: {codePath}" +
                        $"{(codeLine == null ? "" : ":" + codeLine.Value.ToString(CultureInfo.InvariantCulture))}",
                    Kind = SourceLocationKinds.CodeAttribute,
                });
        }

        // The function the span stands for, and dotted qualifiers that hint at its module or class.
        var functionAttr = Text(span, SpanFunctionNameKey);
        var functionName = LastPart(codeFunction ?? functionAttr);
        var hints = Qualifiers(codeFunction).Concat(Qualifiers(functionAttr)).Concat(Qualifiers(span.Name))
            .Concat(codeNamespace?.Split('.', StringSplitOptions.RemoveEmptyEntries) ?? []).ToHashSet(StringComparer.Ordinal);

        // (2) exception stack frames that map into the workspace.
        var frameIndex = 0;
        foreach (var ev in span.Events)
        {
            if (!ev.Attributes.TryGetValue("exception.stacktrace", out var st) || st.ValueKind != JsonValueKind.String) continue;
            var frames = StackTraceParser.Parse(st.GetString());
            // Python lists the innermost frame last; rank the innermost first.
            var innermostFirst = frames.Count > 0 && st.GetString()!.Contains("Traceback (most recent call last)", StringComparison.Ordinal)
                ? frames.Reverse() : frames;
            foreach (var frame in innermostFirst)
            {
                var matches = PathMapper.Map(view, roots, frame.Path);
                if (matches.Count == 0) continue;
                var inSpanFunction = functionName != null && frame.Function == functionName;
                foreach (var m in matches)
                    found.Add(new SourceLocation
                    {
                        Path = m.Path,
                        Line = Math.Max(1, frame.Line),
                        Column = frame.Column,
                        Confidence = Math.Round(inSpanFunction
                            ? 0.8 + 0.1 * PathMapper.Confidence(m, matches.Count) // the frame names the span's own function
                            : PathMapper.Confidence(m, matches.Count) * Math.Max(0.3, 0.6 - 0.05 * frameIndex), 3),
                        Reason = $"{(inSpanFunction
                            ? "where the exception passed through " + functionName
                            : "exception stack frame" + (frame.Function == null ? "" : " in " + frame.Function))}" +
                            $" ({frame.Path}:{frame.Line.ToString(CultureInfo.InvariantCulture)})",
                        Kind = SourceLocationKinds.StackFrame,
                    });
                frameIndex++;
            }
        }

        // (3) definitions by name.
        found.AddRange(Definitions(span.Name, functionName, codeFunction != null, hints, entryScript, view));

        // (4) the entry script, for a root span.
        if (span.ParentSpanId == null && !string.IsNullOrEmpty(entryScript))
        {
            var matches = PathMapper.Map(view, roots, entryScript);
            foreach (var m in matches)
                found.Add(new SourceLocation
                {
                    Path = m.Path,
                    Line = 1,
                    Confidence = Math.Round(0.3 * PathMapper.Confidence(m, matches.Count), 3),
                    Reason = $"the trace's entry script ({SourceNameKey} = {entryScript})",
                    Kind = SourceLocationKinds.EntryScript,
                });
        }

        return Merge(found);
    }

    private static IEnumerable<SourceLocation> Definitions(string spanName, string? functionName, bool fromCodeAttribute,
        HashSet<string> hints, string? entryScript, WorkspaceIndex.View view)
    {
        var candidates = CandidateDefinitions(view, spanName, functionName);
        if (candidates.Count == 0) yield break;

        var entryFile = string.IsNullOrEmpty(entryScript) ? null : entryScript.Split(['/', '\\']).Last();
        var scored = new List<(SourceDefinition Def, double Score, string Why)>();
        foreach (var d in candidates)
        {
            double score;
            string why;
            var tracedAs = d.TracedName ?? (d.Traced ? d.Name : null); // @mlflow.trace without name= names the span after the function
            if (functionName != null && d.Name == functionName && tracedAs == spanName)
            {
                score = 0.85;
                why = d.TracedName != null ? $"@mlflow.trace(name=\"{d.TracedName}\") def {d.Name}" : $"@mlflow.trace def {d.Name}";
            }
            else if (functionName != null && d.Name == functionName)
            {
                score = tracedAs == null ? 0.7 : 0.5; // traced under another span name: likely a namesake
                why = $"{(fromCodeAttribute ? "code.function" : SpanFunctionNameKey)} = {functionName}";
            }
            else if (tracedAs == spanName)
            {
                score = functionName == null ? 0.75 : 0.55; // the recorded function name disagrees
                why = d.TracedName != null ? $"@mlflow.trace(name=\"{d.TracedName}\") def {d.Name}" : $"@mlflow.trace def {d.Name}";
            }
            else
            {
                score = d.TracedName != null ? 0.2 : 0.45; // a function renamed by its decorator makes spans of another name
                why = $"a definition named like the span ({d.Name})";
            }

            if (entryFile != null && Path.GetFileName(d.Path).Equals(entryFile, StringComparison.OrdinalIgnoreCase))
            {
                score += 0.1;
                why += $" in the trace's entry script {entryFile}";
            }
            var hinted = hints.Where(h => IsHint(h, d)).ToList();
            if (hinted.Count > 0)
            {
                score += Math.Min(0.1, 0.05 * hinted.Count);
                why += $" (module hint {string.Join(", ", hinted)})";
            }
            scored.Add((d, score, why));
        }

        var top = scored.Max(s => s.Score);
        var rivals = scored.Count(s => s.Score >= top - 1e-9);
        foreach (var (d, score, why) in scored)
        {
            var ambiguous = scored.Count > 1;
            yield return new SourceLocation
            {
                Path = d.Path,
                Line = d.Line,
                Column = d.Column,
                // Several equally good definitions: none of them is as sure as a unique one.
                Confidence = Math.Round(0.8 * score * (rivals > 1 && score >= top - 1e-9 ? 0.8 : 1.0), 3),
                Reason = why + (d.Container != null ? $", in {d.Container}" : "") + (ambiguous ? $"; one of {scored.Count} candidate definitions" : ""),
                Kind = SourceLocationKinds.Definition,
            };
        }
    }

    /// <summary>
    /// The definitions <see cref="Locate"/> weighs for a span of this name: traced under the name, or named
    /// like it (its last dotted part) or like the span's recorded function (when known).
    /// </summary>
    public static IReadOnlyList<SourceDefinition> CandidateDefinitions(WorkspaceIndex.View view, string spanName, string? functionName = null)
    {
        var spanLast = LastPart(spanName);
        return view.ByTracedName(spanName)
            .Concat(functionName != null ? view.ByName(functionName) : [])
            .Concat(spanLast != null ? view.ByName(spanLast) : [])
            .Distinct().ToList();
    }

    /// <summary>
    /// The file a span's code is in, for counting: the file of its best location, or null when it has none or
    /// when another file's location is exactly as good (a tie the user would have to settle in a pick list).
    /// </summary>
    public static string? OwningFile(IReadOnlyList<SourceLocation> locations)
    {
        if (locations.Count == 0) return null;
        var best = locations[0];
        var tied = locations.Skip(1).TakeWhile(l => Math.Abs(l.Confidence - best.Confidence) < 1e-9);
        return tied.Any(l => !WorkspaceIndex.PathComparer.Equals(l.Path, best.Path)) ? null : best.Path;
    }

    /// <summary>A qualifier like `orders` or `OrderTools` agrees with the definition's class/function chain or its file/folder names.</summary>
    private static bool IsHint(string hint, SourceDefinition d)
    {
        if (d.Container != null && d.Container.Split('.').Contains(hint, StringComparer.Ordinal)) return true;
        var parts = d.Path.Split(['/', '\\']);
        return parts.Any(p => p == hint || Path.GetFileNameWithoutExtension(p) == hint);
    }

    /// <summary>One entry per place (best confidence, reasons joined), best first; then by path and line.</summary>
    private static IReadOnlyList<SourceLocation> Merge(List<SourceLocation> found) =>
        found.GroupBy(l => (l.Path, l.Line))
            .Select(g =>
            {
                var best = g.OrderByDescending(l => l.Confidence).First();
                var reasons = g.Select(l => l.Reason).Distinct().ToList();
                return best with { Reason = string.Join("; ", reasons), Column = best.Column ?? g.Select(l => l.Column).FirstOrDefault(c => c != null) };
            })
            .OrderByDescending(l => l.Confidence).ThenBy(l => l.Path, StringComparer.Ordinal).ThenBy(l => l.Line)
            .ToList();

    private static string? LastPart(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var last = name.Split(['.', ':', '/'], StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        return last is { Length: > 0 } && last.All(c => char.IsLetterOrDigit(c) || c is '_' or '$') ? last : null;
    }

    private static IEnumerable<string> Qualifiers(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return [];
        var parts = name.Split(['.', ':', '/'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length <= 1 ? [] : parts[..^1].Where(p => p != "<locals>");
    }

    private static string? Text(RawSpan span, string key) =>
        span.Attributes.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static int? Int(RawSpan span, string key)
    {
        if (!span.Attributes.TryGetValue(key, out var v)) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)) return n;
        if (v.ValueKind == JsonValueKind.String && int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out n)) return n;
        return null;
    }
}
