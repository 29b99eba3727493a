using System.Text.RegularExpressions;
using TraceIde.Core.Source;

namespace TraceIde.Source.Tests;

/// <summary>What each language's rule matches, and what it must not.</summary>
public sealed class DefinitionScannerTests
{
    [Fact]
    public void The_fixture_app_yields_every_def_with_its_decorator_name_and_scope()
    {
        var defs = DefinitionScanner.Scan("/w/app/gen_traces.py", File.ReadAllText(TempWorkspace.AppFile));
        // Every line that starts a def (outside the module docstring, which has none) is found, and nothing else.
        var expected = Evidence.AppLines.Select((text, i) => (text, line: i + 1))
            .Where(x => Regex.IsMatch(x.text, @"^\s*(async\s+)?def\s+\w+\s*\(")).Select(x => x.line).ToList();
        Assert.Equal(expected, defs.Select(d => d.Line).ToList());

        // @mlflow.trace(name="…", span_type=…) on the line above: traced, with the decorator's name.
        foreach (var d in defs)
        {
            var above = Evidence.AppLines[d.Line - 2].Trim();
            var m = Regex.Match(above, @"^@mlflow\.trace\(name=""([^""]+)""");
            Assert.Equal(m.Success, d.Traced);
            Assert.Equal(m.Success ? m.Groups[1].Value : null, d.TracedName);
        }
        var agent = defs.Single(d => d.Name == "live_agent");
        Assert.Equal(("support_agent", "SmallExperiment.live_traces"), (agent.TracedName, agent.Container));
        Assert.Equal("TraceBuilder", defs.Single(d => d.Name == "openai_chat").Container);
        Assert.Null(defs.Single(d => d.Name == "main").Container);
    }

    [Fact]
    public void Python_statements_strings_and_continuations_are_not_definitions()
    {
        const string code = """"
            import mlflow
            from mlflow import trace

            DOC = '''
            def not_a_function(x):
            '''

            class Agent:
                """def also_not(x): in a docstring"""
                @mlflow.trace
                async def run(self, x):
                    call(a,
                         def_value=1)
                    return x

                @trace(
                    name="planner",
                    span_type="CHAIN",
                )
                def plan(self):
                    def inner():
                        pass

            def top(): pass
            """";
        var defs = DefinitionScanner.Scan("/w/a.py", code);
        Assert.Equal(["run", "plan", "inner", "top"], defs.Select(d => d.Name));
        Assert.Equal((true, (string?)null, "Agent"), (defs[0].Traced, defs[0].TracedName, defs[0].Container));
        Assert.Equal((true, "planner", "Agent"), (defs[1].Traced, defs[1].TracedName, defs[1].Container));
        Assert.Equal((false, "Agent.plan"), (defs[2].Traced, defs[2].Container));
        Assert.Null(defs[3].Container);
        Assert.Equal(11, defs[0].Line);
        Assert.Equal(15, defs[0].Column);
    }

    [Fact]
    public void TypeScript_functions_arrow_constants_and_class_methods()
    {
        const string code = """
            export async function fetchOrder(id: string): Promise<Order> {
              if (id) { return load(id); }
            }
            const toText = (o: Order): string => JSON.stringify(o);
            export const retry = async <T>(f: () => T) => f();
            let single = x => x + 1;
            const notAFunction = compute(1);
            export default class OrderTool extends Base {
              private cache = new Map();
              constructor(private readonly api: Api) { super(); }
              async lookup(orderId: string) {
                while (true) { break; }
                return this.api.get(orderId);
              }
              static create(): OrderTool { return new OrderTool(api); }
              handle = async (e: Event) => { console.log(e); };
              abstractish(): void;
            }
            function* ids() { yield 1; }
            """;
        var defs = DefinitionScanner.Scan("/w/a.ts", code);
        Assert.Equal(["fetchOrder", "toText", "retry", "single", "constructor", "lookup", "create", "handle", "ids"], defs.Select(d => d.Name));
        Assert.Equal(["OrderTool", "OrderTool", "OrderTool", "OrderTool"], defs.Where(d => d.Container != null).Select(d => d.Container));
        Assert.Equal(11, defs.Single(d => d.Name == "lookup").Line);
        Assert.Null(defs.Single(d => d.Name == "ids").Container);
    }

    [Fact]
    public void CSharp_methods_and_constructors_not_calls_or_declarations()
    {
        const string code = """
            namespace Shop;

            public sealed record OrderId(string Value);

            public class OrderService
            {
                private readonly Dictionary<string, int> _cache = new();

                public OrderService(IApi api)
                {
                    _api = api;
                }

                public async Task<Order?> LookupAsync(string id, CancellationToken ct)
                {
                    var order = await _api.GetAsync(id, ct);
                    if (order == null) return null;
                    return Normalize(order);
                }

                private static Order Normalize(Order o) => o with { };

                public int Count { get; }

                private class Nested
                {
                    internal void Run() { Helper(); }
                }
            }

            public interface IApi
            {
                Task<Order?> GetAsync(string id, CancellationToken ct);
            }
            """;
        var defs = DefinitionScanner.Scan("/w/a.cs", code);
        Assert.Equal(["OrderService", "LookupAsync", "Normalize", "Run"], defs.Select(d => d.Name));
        Assert.Equal(["OrderService", "OrderService", "OrderService", "OrderService.Nested"], defs.Select(d => d.Container));
        Assert.Equal(14, defs[1].Line);
    }
}
