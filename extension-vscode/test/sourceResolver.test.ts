import { beforeEach, describe, expect, it } from "vitest";
import { functionNameOf } from "../src/ideHandlers";
import { resolveByFunctionName } from "../src/sourceResolver";
import * as fake from "./fake-vscode";

beforeEach(() => {
  fake.resetCalls();
  fake.files.clear();
  fake.setSymbols([]);
  fake.setWorkspace("/ws");
});

describe("jump to source: first resolver by function name", () => {
  it("takes the function name (mlflow.spanFunctionName, from the UI) over the span name, last dotted part", () => {
    expect(functionNameOf({ spanName: "get_weather" })).toBe("get_weather");
    expect(functionNameOf({ spanName: "Agent.run" })).toBe("run");
    expect(functionNameOf({ spanName: "pretty name", functionName: "tools.lookup_order" })).toBe("lookup_order");
  });

  it("prefers an exact function symbol from the workspace symbol provider", async () => {
    const loc = (p: string, line: number) => ({ uri: fake.Uri.file(p), range: new fake.Range(new fake.Position(line, 0), new fake.Position(line, 1)) });
    fake.setSymbols([
      { name: "get_weather_cached", kind: fake.SymbolKind.Function, location: loc("/ws/c.py", 1) },
      { name: "get_weather", kind: fake.SymbolKind.Variable, location: loc("/ws/b.py", 5) },
      { name: "get_weather", kind: fake.SymbolKind.Function, location: loc("/ws/a.py", 9) },
    ]);
    const r = await resolveByFunctionName("get_weather");
    expect(r.map((c) => [c.uri.fsPath, c.line])).toEqual([
      ["/ws/a.py", 10],
      ["/ws/b.py", 6],
    ]);
  });

  it("falls back to scanning for definitions when no provider answers", async () => {
    fake.files.set("/ws/app/gen.py", "import x\n\n    @mlflow.trace\n    def get_weather(city):\n        return get_weather(city)\n");
    fake.files.set("/ws/web/a.ts", "export async function get_weather(c: string) {}\n");
    fake.files.set("/ws/other.py", "get_weather = 1\n");
    const r = await resolveByFunctionName("get_weather");
    expect(r.map((c) => [c.uri.fsPath, c.line])).toEqual([
      ["/ws/app/gen.py", 4],
      ["/ws/web/a.ts", 1],
    ]);
  });

  it("refuses names that are not identifiers", async () => {
    expect(await resolveByFunctionName("a.*b")).toEqual([]);
  });
});
