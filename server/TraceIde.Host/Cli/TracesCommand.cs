using System.Globalization;
using System.Text;
using TraceIde.Core.Backends;
using TraceIde.Host.Logging;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Cli;

/// <summary>
/// `traceide traces`: the newest traces of an experiment and the span tree of one of them, printed
/// as text. Goes through the same <see cref="HostSession"/> and <see cref="TraceService"/> as `serve`.
/// </summary>
public static class TracesCommand
{
    public static async Task<int> RunAsync(Options options, TextWriter stdout, TextWriter stderr)
    {
        using var log = new HostLog(stderr, null, LogLevel.Warn);
        using var session = new HostSession(log);
        try
        {
            var init = await session.InitializeAsync(CommandLineBackend.Choose(options, "traceide traces"), CancellationToken.None).ConfigureAwait(false);
            await stdout.WriteLineAsync($"{init.BackendKind} {init.BackendLocation}{(init.MlflowVersion is { } v ? $" (MLflow {v})" : "")}")
                .ConfigureAwait(false);

            var experiments = await session.Backend.ListExperimentsAsync(null, CancellationToken.None).ConfigureAwait(false);
            var experimentId = options.Get("--experiment")
                ?? experiments.FirstOrDefault(e => e.IsGenAi)?.ExperimentId
                ?? experiments.FirstOrDefault()?.ExperimentId;
            if (experimentId is null)
            {
                await stderr.WriteLineAsync("This backend has no experiments.").ConfigureAwait(false);
                return CommandLine.Failed;
            }
            var experiment = experiments.FirstOrDefault(e => e.ExperimentId == experimentId);
            if (experiment is null)
            {
                // A search of an unknown experiment answers "0 traces" (MLflow does too): say what is wrong instead.
                var known = string.Join(", ", experiments.Take(10).Select(e => $"{e.ExperimentId} ({Printable(e.Name)})"));
                await stderr.WriteLineAsync($"error: no experiment with ID {Printable(experimentId)} in {init.BackendLocation}; " +
                    (known.Length == 0 ? "it has no experiments." : $"experiments: {known}{(experiments.Count > 10 ? ", …" : "")}")).ConfigureAwait(false);
                return CommandLine.Failed;
            }
            await stdout.WriteLineAsync($"experiment {experimentId} {Printable(experiment.Name)}").ConfigureAwait(false);
            await stdout.WriteLineAsync().ConfigureAwait(false);

            var page = await session.Traces.SearchAsync(
                new TracesSearchParams { ExperimentIds = [experimentId], PageSize = options.GetInt("--limit") ?? 10 },
                CancellationToken.None).ConfigureAwait(false);
            WriteTraceTable(stdout, page.Traces);

            // Without --trace, show the newest failed trace: that is the one a reader opens first.
            var traceId = options.Get("--trace")
                          ?? page.Traces.FirstOrDefault(t => t.State == "ERROR")?.TraceId
                          ?? page.Traces.FirstOrDefault()?.TraceId;
            if (traceId is null) return CommandLine.Ok;
            var trace = await session.Traces.GetAsync(new TracesGetParams { TraceId = traceId, IncludePayloads = false }, CancellationToken.None)
                .ConfigureAwait(false);
            await stdout.WriteLineAsync().ConfigureAwait(false);
            WriteSpanTree(stdout, trace);
            return CommandLine.Ok;
        }
        catch (BackendException e)
        {
            // The message may quote what was asked (an unknown trace ID as typed): escaped like the rest.
            await stderr.WriteLineAsync($"error: {Printable(HostLog.Redact(e.Message))}").ConfigureAwait(false);
            return CommandLine.BackendError;
        }
    }

    private static void WriteTraceTable(TextWriter w, IReadOnlyList<TraceSummary> traces)
    {
        // Each column is as wide as its longest value (names up to MaxNameWidth, then clipped), so a long ID,
        // a running trace's state or a big token count never pushes the columns after it out of line.
        var rows = traces.Select(t => new
        {
            Time = DateTimeOffset.FromUnixTimeMilliseconds(t.RequestTimeMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            Id = Printable(t.TraceId),
            Name = Clip(t.Name is null ? NoName : Printable(t.Name), MaxNameWidth),
            State = Printable(t.State),
            Duration = FormatMs(t.DurationMs),
            Tokens = t.Tokens?.TotalTokens?.ToString(CultureInfo.InvariantCulture) ?? "",
            Who = string.Join(" / ", new[] { t.Session, t.User }.Where(s => s != null).Select(s => Printable(s))),
        }).ToList();
        int Width(string header, Func<int> widest) => Math.Max(header.Length, rows.Count == 0 ? 0 : widest());
        var id = Width("trace id", () => rows.Max(r => r.Id.Length));
        var name = Width("name", () => rows.Max(r => r.Name.Length));
        var state = Width("state", () => rows.Max(r => r.State.Length));
        var duration = Width("duration", () => rows.Max(r => r.Duration.Length));
        var tokens = Width("tokens", () => rows.Max(r => r.Tokens.Length));
        w.WriteLine($"{"request time (UTC)",-20} {"trace id".PadRight(id)} {"name".PadRight(name)} {"state".PadRight(state)} {"duration".PadLeft(duration)} " +
            $"{"tokens".PadLeft(tokens)}  session / user");
        foreach (var r in rows)
            w.WriteLine($"{r.Time,-20} {r.Id.PadRight(id)} {r.Name.PadRight(name)} {r.State.PadRight(state)} {r.Duration.PadLeft(duration)} " +
                $"{r.Tokens.PadLeft(tokens)}  {r.Who}");
        w.WriteLine($"{traces.Count} traces");
    }

    private const int MaxNameWidth = 32;

    private static void WriteSpanTree(TextWriter w, TracesGetResult trace)
    {
        var spans = trace.Spans;
        // OTLP-ingested traces have no trace name: name them by their root span, as MLflow's UI does.
        var name = trace.Info.Name is { } n ? Printable(n)
            : spans.FirstOrDefault(s => s.Depth == 0) is { } root ? $"{NoName}, root span {Printable(root.Name)}"
            : NoName;
        w.WriteLine($"trace {Printable(trace.Info.TraceId)} — {name} — {Plural(spans.Count, "span")}, {Plural(trace.Assessments.Count, "assessment")}");
        var t0 = spans.Count > 0 ? spans.Min(s => s.StartMs) : 0;
        var total = Math.Max(1, spans.Count > 0 ? spans.Max(s => s.StartMs + (s.DurationMs ?? 0)) - t0 : 1);
        const int BarWidth = 24;
        var shown = spans.Take(60).ToList();
        // A span type is any string a tracer chose: its column is as wide as the widest shown.
        var typeWidth = shown.Count == 0 ? 0 : shown.Max(s => Printable(s.SpanType).Length);
        foreach (var s in shown)
        {
            var label = new string(' ', 2 * s.Depth) + Printable(s.Name);
            var from = (int)Math.Round((s.StartMs - t0) / total * BarWidth);
            var len = Math.Max(1, (int)Math.Round((s.DurationMs ?? 0) / total * BarWidth));
            var bar = new StringBuilder(new string(' ', BarWidth));
            for (var i = from; i < Math.Min(BarWidth, from + len); i++) bar[i] = s.OnCriticalPath ? '█' : '▒';
            var flags = (s.Status == "ERROR" ? " ERROR" : "") + (s.Orphaned ? " (orphan)" : "");
            w.WriteLine($"{Clip(label, 44),-44} {Printable(s.SpanType).PadRight(typeWidth)} {FormatMs(s.DurationMs),9} |{bar}|{flags}");
        }
        if (spans.Count > 60) w.WriteLine($"… {spans.Count - 60} more spans");
        foreach (var warning in trace.Warnings) w.WriteLine($"warning: {Printable(warning)}");
    }

    private static string FormatMs(double? ms) => ms switch
    {
        null => "running",
        < 1000 => $"{ms:0} ms",
        _ => $"{ms / 1000:0.00} s",
    };

    private static string FormatMs(long? ms) => FormatMs((double?)ms);

    private static string Plural(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    private static string Clip(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";

    private const string NoName = "(no name)";

    /// <summary>
    /// Text from the traces made safe for a terminal, one line per row: control characters (NUL, tab,
    /// newline, ESC…), line separators and bidi controls (U+202E would reverse what follows on screen)
    /// become visible escapes — \0 \t \n \r, else \u followed by 4 hex digits — and a backslash is doubled.
    /// </summary>
    public static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var escape = c switch
            {
                '\0' => "\\0",
                '\t' => "\\t",
                '\n' => "\\n",
                '\r' => "\\r",
                '\\' => "\\\\",
                _ when char.IsControl(c) || IsBidiControl(c) || c is '\u2028' or '\u2029' => $"\\u{(int)c:X4}",
                _ => null,
            };
            if (escape == null)
            {
                sb?.Append(c);
                continue;
            }
            sb ??= new StringBuilder(text.Length + 8).Append(text, 0, i);
            sb.Append(escape);
        }
        return sb?.ToString() ?? text;
    }

    private static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
