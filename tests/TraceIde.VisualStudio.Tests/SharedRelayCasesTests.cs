using System.Text.Json.Nodes;
using TraceIde.Protocol;
using TraceIde.Testing;
using TraceIde.VisualStudio.Core.Relay;
using TraceIde.VisualStudio.Core.Rpc;

namespace TraceIde.VisualStudio.Tests;

/// <summary>
/// The IDE methods through Visual Studio's relay, by the cases VS Code's relay runs too
/// (tests/fixtures/relay/ide-methods.json; extension-vscode/test/relay.test.ts): the message the web UI posts,
/// the host calls the relay makes, what the IDE did and the answer posted back.
/// </summary>
public sealed class SharedRelayCasesTests
{
    private static readonly JsonArray Cases = (JsonArray)JsonNode.Parse(File.ReadAllText(
        Path.Combine(Fixtures.RepoRoot, "tests", "fixtures", "relay", "ide-methods.json")))!["cases"]!;

    public static TheoryData<string> CaseNames()
    {
        var names = new TheoryData<string>();
        foreach (var c in Cases) names.Add((string)c!["name"]!);
        return names;
    }

    [Fact]
    public void Every_IDE_method_of_the_contract_has_a_case_and_a_handler_here()
    {
        var sent = Cases.Select(c => (string)c!["send"]!["method"]!).ToHashSet(StringComparer.Ordinal);
        Assert.All(IdeMethods.All, m => Assert.Contains(m, sent));
        var relay = new WebviewRelay(new FakeHost(), new FakeNavigator(), new FakeClipboard(), _ => Task.CompletedTask, new RecordingViews(new JsonObject()));
        Assert.Equal(IdeMethods.All.Order(StringComparer.Ordinal), relay.AnsweredIdeMethods.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task Case(string name)
    {
        var c = Cases.Single(x => (string)x!["name"]! == name)!.AsObject();
        var did = new List<JsonNode>();
        var host = new FakeHost
        {
            Answer = (method, _, _) => Task.FromResult(c["host"]?[method] is { } answer
                ? RpcOutcome.Success(answer.DeepClone())
                : throw new InvalidOperationException($"the case has no host answer for {method}")),
        };
        var navigator = new RecordingNavigator(did, c["existingFiles"]?.AsArray().Select(f => (string)f!) ?? []);
        var clipboard = new RecordingClipboard(did);
        var page = new FakeWebview();
        var relay = new WebviewRelay(host, navigator, clipboard, page.PostAsync, new RecordingViews(c, did));

        await relay.HandleMessageAsync(c["send"]!.ToJsonString());

        var calls = new JsonArray(host.Calls.Select(x => (JsonNode)new JsonObject { ["method"] = x.Method, ["params"] = x.Params?.DeepClone() }).ToArray());
        Assert.True(JsonNode.DeepEquals(c["expectHost"], calls), $"host calls: {calls.ToJsonString()}");
        var ide = new JsonArray(did.Select(d => d.DeepClone()).ToArray());
        Assert.True(JsonNode.DeepEquals(c["expectIde"], ide), $"IDE did: {ide.ToJsonString()}");
        var reply = page.Single();
        var expected = c["reply"]!.AsObject();
        if (expected["error"] is { } error)
        {
            Assert.Equal((string)expected["type"]!, (string)reply["type"]!);
            Assert.True(JsonNode.DeepEquals(expected["id"], reply["id"]));
            Assert.Equal((int)error["code"]!, (int)reply["error"]!["code"]!);
            if (c["errorIncludes"] is { } includes) Assert.Contains((string)includes!, (string)reply["error"]!["message"]!);
        }
        else
        {
            Assert.True(JsonNode.DeepEquals(expected, reply), $"reply: {reply.ToJsonString()}");
        }
    }

    /// <summary>Files exist as the case says; every open is recorded and succeeds.</summary>
    private sealed class RecordingNavigator(List<JsonNode> did, IEnumerable<string> files) : INavigator
    {
        private readonly HashSet<string> _files = new(files, StringComparer.Ordinal);

        public bool FileExists(string path) => _files.Contains(path);

        public Task<bool> OpenFileAsync(string path, int line, int? column, CancellationToken cancellationToken)
        {
            var open = new JsonObject { ["path"] = path, ["line"] = line };
            if (column != null) open["column"] = column;
            did.Add(new JsonObject { ["openFile"] = open });
            return Task.FromResult(true);
        }

        public Task OpenTextAsync(string text, string fileName, string language, CancellationToken cancellationToken)
        {
            did.Add(new JsonObject { ["openText"] = new JsonObject { ["text"] = text, ["fileName"] = fileName, ["language"] = language } });
            return Task.CompletedTask;
        }
    }

    private sealed class RecordingClipboard(List<JsonNode> did) : IClipboard
    {
        public Task SetTextAsync(string text, CancellationToken cancellationToken)
        {
            did.Add(new JsonObject { ["copy"] = text });
            return Task.CompletedTask;
        }
    }

    /// <summary>Choices and views as the case says (`choose`: an index, null = dismissed; `definitions`).</summary>
    private sealed class RecordingViews(JsonObject c, List<JsonNode>? did = null) : IIdeViews
    {
        private readonly List<JsonNode> _did = did ?? [];

        public Task<SourceLocation?> ChooseAsync(IReadOnlyList<SourceLocation> locations, string placeholder, CancellationToken cancellationToken)
        {
            _did.Add(new JsonObject { ["choose"] = new JsonArray(locations.Select(l => (JsonNode)JsonValue.Create($"{l.Path}:{l.Line}")).ToArray()) });
            return Task.FromResult(c["choose"] is JsonValue v && v.TryGetValue<int>(out var i) ? locations[i] : null);
        }

        public Task<IReadOnlyList<SourceLocation>> FindDefinitionsAsync(string name, CancellationToken cancellationToken)
        {
            _did.Add(new JsonObject { ["findDefinitions"] = name });
            IReadOnlyList<SourceLocation> found = c["definitions"]?.AsArray().Select(d => new SourceLocation
            {
                Path = (string)d!["path"]!, Line = (int)d["line"]!, Confidence = (double)d["confidence"]!,
                Reason = (string)d["reason"]!, Kind = (string)d["kind"]!,
            }).ToList() ?? [];
            return Task.FromResult(found);
        }

        public Task OpenTraceAsync(string traceId, string? spanId, CancellationToken cancellationToken)
        {
            var open = new JsonObject { ["traceId"] = traceId };
            if (spanId != null) open["spanId"] = spanId;
            _did.Add(new JsonObject { ["openTrace"] = open });
            return Task.CompletedTask;
        }

        public Task OpenOverviewAsync(IReadOnlyList<string>? experimentIds, CancellationToken cancellationToken)
        {
            var open = new JsonObject();
            if (experimentIds != null) open["experimentIds"] = new JsonArray(experimentIds.Select(x => (JsonNode)JsonValue.Create(x)).ToArray());
            _did.Add(new JsonObject { ["openOverview"] = open });
            return Task.CompletedTask;
        }

        public Task RevealPanelAsync(CancellationToken cancellationToken)
        {
            _did.Add(new JsonObject { ["revealPanel"] = new JsonObject() });
            return Task.CompletedTask;
        }
    }
}
