using System.Reflection;
using StreamJsonRpc;
using TraceIde.Host.Cli;
using TraceIde.Host.Handlers;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Host.Tests;

/// <summary>The contract is declared once (C#); the handlers and the TypeScript side cannot drift from it.</summary>
public sealed class ContractTests
{
    /// <summary>Every class of the host's Handlers namespace (a new handler class is checked without being listed here).</summary>
    private static readonly Type[] HandlerTypes = typeof(LifecycleHandler).Assembly.GetTypes()
        .Where(t => t.IsClass && !t.IsNested && t.Namespace == typeof(LifecycleHandler).Namespace).ToArray();

    [Fact]
    public void The_committed_TypeScript_declaration_matches_the_CSharp_contract()
    {
        var committedPath = Path.Combine(Fixtures.RepoRoot, ContractCommand.DefaultOutput);
        Assert.True(File.Exists(committedPath), $"{committedPath} is missing");
        var committed = File.ReadAllText(committedPath).ReplaceLineEndings("\n");
        var generated = TypeScriptContract.Generate().ReplaceLineEndings("\n");
        Assert.True(committed == generated,
            "webview/src/protocol.generated.ts differs from the C# contract. Regenerate it: " +
            "dotnet run --project server/TraceIde.Host -- contract --typescript --out webview/src/protocol.generated.ts");
    }

    /// <summary>
    /// The IDE methods are the contract's too: each is answered by both relays (VS Code's ideHandlers.ts, Visual
    /// Studio's WebviewRelay.cs — read here as source, since neither is loaded into the host) and has a case in the
    /// shared relay cases both relay suites run; none is a host method.
    /// </summary>
    [Fact]
    public void Every_IDE_method_has_a_handler_in_both_relays_and_a_shared_relay_case()
    {
        var vscode = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "extension-vscode", "src", "ideHandlers.ts"));
        var vs = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "extension-vs", "TraceIde.VisualStudio.Core", "Relay", "WebviewRelay.cs"));
        var casesFile = Path.Combine(Fixtures.RepoRoot, "tests", "fixtures", "relay", "ide-methods.json");
        var sent = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(casesFile))!["cases"]!.AsArray()
            .Select(c => (string)c!["send"]!["method"]!).ToHashSet(StringComparer.Ordinal);
        var hostMethods = RpcContract.Methods.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var field in typeof(IdeMethods).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            var name = (string)field.GetRawConstantValue()!;
            Assert.Contains(name, IdeMethods.All);
            Assert.StartsWith("ide/", name);
            Assert.DoesNotContain(name, hostMethods);
            Assert.True(
                vscode.Contains($"[IdeMethods.{System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(field.Name)}]", StringComparison.Ordinal),
                $"{name}: no handler in extension-vscode/src/ideHandlers.ts");
            Assert.True(vs.Contains($"[IdeMethods.{field.Name}] =", StringComparison.Ordinal), $"{name}: no handler in WebviewRelay.cs");
            Assert.True(sent.Contains(name), $"{name}: no case in {casesFile}");
        }
        Assert.Equal(IdeContract.Methods.Select(m => m.Name), IdeMethods.All);
        // Both relay suites run the shared cases.
        Assert.Contains(
            "ide-methods.json",
            File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "extension-vscode", "test", "relay.test.ts")),
            StringComparison.Ordinal);
        Assert.Contains(
            "ide-methods.json",
            File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "tests", "TraceIde.VisualStudio.Tests", "SharedRelayCasesTests.cs")),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_span_leaves_out_only_its_false_and_zero_tree_flags_on_the_wire()
    {
        var options = new System.Text.Json.JsonSerializerOptions();
        ProtocolJson.Configure(options);
        var plain = new Span
        {
            SpanId = "00000000000000a1",
            ParentSpanId = "00000000000000a0",
            Name = "leaf",
            SpanType = "TOOL",
            Status = "OK",
            StartMs = 0,
            DurationMs = 0,
            Depth = 0,
            SelfTimeMs = 0
        };
        Assert.Equal(
                """{"spanId":"00000000000000a1","parentSpanId":"00000000000000a0","name":"leaf","spanType":"TOOL","status":"OK","startMs":""" +
                """0,"durationMs":0,"depth":0,"selfTimeMs":0}""",
            System.Text.Json.JsonSerializer.Serialize(plain, options));
        var flagged = plain with { OnCriticalPath = true, ChildCount = 3, Orphaned = true };
        Assert.Equal(
                """{"spanId":"00000000000000a1","parentSpanId":"00000000000000a0","name":"leaf","spanType":"TOOL","status":"OK","startMs":""" +
                """0,"durationMs":0,"depth":0,"selfTimeMs":0,"onCriticalPath":true,"childCount":3,"orphaned":true}""",
            System.Text.Json.JsonSerializer.Serialize(flagged, options));
        // A reader of the old shape still reads both.
        Assert.Equal(plain, System.Text.Json.JsonSerializer.Deserialize<Span>(
            """{"spanId":"00000000000000a1","parentSpanId":"00000000000000a0","name":"leaf","spanType":"TOOL","status":"OK","startMs":""" +
            """0,"durationMs":0,"depth":0,"selfTimeMs":0,"onCriticalPath":false,"childCount":0,"orphaned":false}""", options));
    }

    [Fact]
    public void Every_contract_method_has_exactly_one_handler_with_the_declared_types()
    {
        var handlers = HandlerTypes
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance))
            .Select(m => (Method: m, Attr: m.GetCustomAttribute<JsonRpcMethodAttribute>()))
            .Where(x => x.Attr != null)
            .ToList();

        foreach (var descriptor in RpcContract.Methods.Where(m => !m.FromHost))
        {
            var matches = handlers.Where(h => h.Attr!.Name == descriptor.Name).ToList();
            Assert.True(matches.Count == 1, $"{descriptor.Name}: {matches.Count} handlers");
            var method = matches[0].Method;
            var parameters = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).ToArray();
            if (descriptor.ParamsType is null)
            {
                Assert.Empty(parameters);
            }
            else
            {
                Assert.Single(parameters);
                Assert.Equal(descriptor.ParamsType, parameters[0].ParameterType);
                Assert.True(matches[0].Attr!.UseSingleObjectParameterDeserialization, $"{descriptor.Name} must take its params as one object");
            }
            var returned = method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                ? method.ReturnType.GetGenericArguments()[0]
                : method.ReturnType;
            Assert.Equal(descriptor.ResultType ?? typeof(void), returned == typeof(Task) ? typeof(void) : returned);
        }
        var declared = RpcContract.Methods.Where(m => !m.FromHost).Select(m => (string?)m.Name).ToHashSet();
        Assert.All(handlers, h => Assert.Contains(h.Attr!.Name, declared));
    }

    [Fact]
    public void Ui_callable_methods_exclude_lifecycle()
    {
        Assert.DoesNotContain(RpcMethods.Initialize, RpcMethods.UiCallable);
        Assert.DoesNotContain(RpcMethods.Exit, RpcMethods.UiCallable);
        Assert.DoesNotContain(RpcMethods.Shutdown, RpcMethods.UiCallable);
        Assert.All(RpcMethods.UiCallable, m => Assert.Contains(RpcContract.Methods, d => d.Name == m));
    }
}
