using System.Text.Json;
using TraceIde.Core.Source;
using TraceIde.Core.Spans;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Source.Tests;

/// <summary>
/// source/locate's ranking against the real traces of the fixture store, with the program that made them
/// (`app/gen_traces.py`) as the workspace. Expected lines are read from the app's text and the traces'
/// own stack traces, never typed in.
/// </summary>
public sealed class LocateTests
{
    private static async Task<(TraceSummary Info, IReadOnlyList<RawSpan> Spans)> TraceAsync(string fixtureCase)
    {
        await using var store = Evidence.Store();
        var trace = await store.GetTraceAsync(FixtureCases.ServerTraceId(fixtureCase), CancellationToken.None);
        return (trace.Info, trace.Spans);
    }

    private static async Task<IReadOnlyList<SourceLocation>> LocateAsync(WorkspaceIndex index, TraceSummary info, RawSpan span) =>
        SourceLocator.Locate(info, span, await index.GetViewAsync(CancellationToken.None), index.Roots);

    [Fact]
    public async Task Every_decorated_span_of_the_live_traces_resolves_to_its_function_definition()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        var checkedSpans = 0;
        foreach (var fixtureCase in Evidence.LiveCases())
        {
            var (info, spans) = await TraceAsync(fixtureCase);
            foreach (var span in spans)
            {
                // @mlflow.trace records the decorated function's name; context-manager spans have none.
                if (Evidence.Attr(span, "mlflow.spanFunctionName") is not { } function) continue;
                var defLine = Evidence.DefinitionLine(function);
                var locations = await LocateAsync(index, info, span);
                var definition = locations.First(l => l.Kind == SourceLocationKinds.Definition);
                Assert.Equal(ws.AppPath, definition.Path);
                Assert.Equal(defLine, definition.Line);
                Assert.Equal(Evidence.AppLines[defLine - 1].IndexOf("def " + function, StringComparison.Ordinal) + 5, definition.Column);
                Assert.InRange(definition.Confidence, 0.6, 0.85); // a unique traced definition in the entry script
                Assert.Contains("gen_traces.py", definition.Reason);

                var top = locations[0];
                if (span.Events.Any(e => e.Name == "exception"))
                {
                    // A span that raised: the frame inside its own function is the most specific place.
                    var frameInFunction = span.Events.SelectMany(e => Evidence.PythonFrames(e.Attributes["exception.stacktrace"].GetString()!))
                        .Last(f => f.Function == function);
                    Assert.Equal((ws.AppPath, frameInFunction.Line), (top.Path, top.Line));
                    Assert.Equal(SourceLocationKinds.StackFrame, top.Kind);
                }
                else
                {
                    Assert.Equal((ws.AppPath, defLine), (top.Path, top.Line));
                }
                checkedSpans++;
            }
        }
        // The six live traces hold these decorated spans: 5 support_agent + tool calls + faq_stream/stream_answer.
        Assert.True(checkedSpans >= 8, $"only {checkedSpans} decorated spans found in the live traces");
    }

    [Fact]
    public async Task Every_exception_frame_of_the_app_maps_to_the_right_file_and_line()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        var view = await index.GetViewAsync(CancellationToken.None);
        var appFrames = 0;
        foreach (var fixtureCase in Evidence.LiveCases())
        {
            var (info, spans) = await TraceAsync(fixtureCase);
            foreach (var span in spans)
            {
                var frames = span.Events.Where(e => e.Attributes.ContainsKey("exception.stacktrace"))
                    .SelectMany(e => Evidence.PythonFrames(e.Attributes["exception.stacktrace"].GetString()!)).ToList();
                if (frames.Count == 0) continue;
                var located = await LocateAsync(index, info, span);
                foreach (var frame in frames)
                {
                    var mapped = PathMapper.Map(view, index.Roots, frame.Path);
                    if (Path.GetFileName(frame.Path) != "gen_traces.py")
                    {
                        Assert.Empty(mapped); // MLflow's own frames (site-packages) are not the workspace's
                        continue;
                    }
                    appFrames++;
                    Assert.Equal(ws.AppPath, Assert.Single(mapped).Path);
                    // The traceback printed the line's code: the workspace file has that code on that line.
                    Assert.Equal(frame.Code, Evidence.AppLines[frame.Line - 1].Trim());
                    Assert.Contains(located, l => l.Path == ws.AppPath && l.Line == frame.Line);
                }
                Assert.DoesNotContain(located, l => !l.Path.StartsWith(ws.Root, StringComparison.Ordinal));
            }
        }
        Assert.True(appFrames >= 3, $"only {appFrames} app frames in the live traces");
    }

    [Fact]
    public async Task An_ambiguous_name_returns_every_candidate_with_the_entry_scripts_first()
    {
        using var ws = new TempWorkspace();
        // A namesake in another module, decorated the same way: only the trace's entry script tells them apart.
        var decoy = ws.Write(
            "tools/orders.py",
            "import mlflow\n\n\n@mlflow.trace(name=\"lookup_order\", span_type=\"TOOL\")\ndef lookup_order(order_id):\n    return {}\n");
        var index = new WorkspaceIndex([ws.Root]);
        foreach (var fixtureCase in new[] { "live-s5-t2", "live-s5-t3" })
        {
            var (info, spans) = await TraceAsync(fixtureCase);
            Assert.Equal("gen_traces.py", info.Metadata[SourceLocator.SourceNameKey]);
            var span = spans.Single(s => s.Name == "lookup_order");
            var definitions = (await LocateAsync(index, info, span)).Where(l => l.Kind == SourceLocationKinds.Definition).ToList();
            Assert.Equal(2, definitions.Count);
            Assert.Equal((ws.AppPath, Evidence.DefinitionLine("lookup_order")), (definitions[0].Path, definitions[0].Line));
            Assert.Equal((decoy, 5), (definitions[1].Path, definitions[1].Line));
            Assert.True(definitions[0].Confidence > definitions[1].Confidence);
            Assert.All(definitions, d => Assert.Contains("one of 2 candidate definitions", d.Reason));
        }
    }

    [Fact]
    public async Task A_root_span_without_a_function_falls_back_to_the_entry_script()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        var (info, spans) = await TraceAsync("live-healthcheck");
        var root = spans.Single(s => s.ParentSpanId == null);
        Assert.Null(Evidence.Attr(root, "mlflow.spanFunctionName")); // a context-manager span
        var location = Assert.Single(await LocateAsync(index, info, root));
        Assert.Equal((ws.AppPath, 1, SourceLocationKinds.EntryScript), (location.Path, location.Line, location.Kind));
        Assert.InRange(location.Confidence, 0.01, 0.5);

        // A child span of the same kind has no evidence at all: nothing is invented.
        var child = spans.Single(s => s.ParentSpanId != null);
        Assert.Empty(await LocateAsync(index, info, child));
    }

    [Fact]
    public async Task OpenTelemetry_code_attributes_come_first_in_old_and_new_spelling()
    {
        using var ws = new TempWorkspace();
        var index = new WorkspaceIndex([ws.Root]);
        var (info, spans) = await TraceAsync("live-s5-t1");
        var weather = spans.Single(s => s.Name == "get_weather");
        var line = Evidence.DefinitionLine("get_weather") + 2;
        foreach (var (pathKey, lineKey) in new[] { ("code.filepath", "code.lineno"), ("code.file.path", "code.line.number") })
        {
            var attributes = new Dictionary<string, JsonElement>(weather.Attributes)
            {
                [pathKey] = JsonSerializer.SerializeToElement("/opt/deploy/app/gen_traces.py"),
                [lineKey] = JsonSerializer.SerializeToElement(line),
            };
            var locations = await LocateAsync(index, info, weather with { Attributes = attributes });
            Assert.Equal((ws.AppPath, line, SourceLocationKinds.CodeAttribute), (locations[0].Path, locations[0].Line, locations[0].Kind));
            Assert.Contains(locations, l => l.Kind == SourceLocationKinds.Definition); // the other evidence is still there
        }
    }
}
