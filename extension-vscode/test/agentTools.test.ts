// The language-model tools against the REAL host (Release build) on the fixture store: what agent mode gets
// is `traceide mcp`'s answer through `agent/callTool`; and the .vscode/mcp.json entry holds no secret.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOOL_PREFIX, agentTool, registerAgentTools, withTraceIdeServer, withoutUserInfo } from "../src/agentTools";
import { HostProcess } from "../src/hostProcess";
import * as fake from "./fake-vscode";
import { DLL, FIXTURES } from "./realHost";

const truth = JSON.parse(readFileSync(join(FIXTURES, "ground_truth_small.json"), "utf8"));
const cases = JSON.parse(readFileSync(join(FIXTURES, "store", "cases.json"), "utf8")).cases as Record<string, string>;
const pkg = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8"));
const none = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) } as never;

describe("language-model tools on the real host", () => {
  let h: HostProcess;
  beforeAll(async () => {
    h = new HostProcess({
      dotnet: "dotnet",
      host: DLL,
      log: () => undefined,
      configure: async () => ({ init: { store: join(FIXTURES, "store", "mlflow.db"), clientName: "vitest" }, env: {} }),
    });
    expect((await h.start()).state).toBe("running");
  });
  afterAll(() => h?.dispose());

  it("registers one tool per languageModelTools entry of package.json", () => {
    const subscriptions: { dispose(): void }[] = [];
    registerAgentTools({ extension: { packageJSON: pkg }, subscriptions } as never, h);
    const declared = pkg.contributes.languageModelTools.map((t: { name: string }) => t.name);
    expect(declared.every((n: string) => n.startsWith(TOOL_PREFIX))).toBe(true);
    expect([...fake.lm.registered.keys()].sort()).toEqual([...declared].sort());
    subscriptions.forEach((s) => s.dispose());
  });

  it("traceide_search_traces answers MLflow's failed traces", async () => {
    const tool = agentTool(h, "search_traces", "Search");
    const result = (await tool.invoke(
      { input: { states: ["ERROR"], limit: 100 }, toolInvocationToken: undefined } as never,
      none,
    )) as unknown as fake.LanguageModelToolResult;
    const answer = JSON.parse((result.content[0] as fake.LanguageModelTextPart).value);
    const expected = truth.traces
      .filter((t: { state: string }) => t.state === "ERROR")
      .map((t: { trace_id: string }) => t.trace_id)
      .sort();
    expect(answer.traces.map((t: { traceId: string }) => t.traceId).sort()).toEqual(expected);
  });

  it("a tool error is thrown with the host's reason, for the model to read", async () => {
    const tool = agentTool(h, "get_trace", "Get");
    await expect(tool.invoke({ input: { traceId: cases["batch-digest-500"], maxTokens: 5 }, toolInvocationToken: undefined } as never, none)).rejects.toThrow(
      /'maxTokens' must be from 500 to 20000/,
    );
  });
});

describe(".vscode/mcp.json entry", () => {
  const base = { dotnet: "dotnet", host: "/ext/host/traceide.dll", credentials: { username: true, password: true, token: false } };

  it("points at the packaged host and the tracking server; credentials are inputs VS Code asks for, never values", () => {
    const json = withTraceIdeServer(
      { servers: { other: { type: "stdio", command: "x" } }, inputs: [{ id: "keep" }] },
      { ...base, trackingUri: "https://alice:s3cret@mlflow.example.com/" },
    );
    const server = json.servers!.traceide as { command: string; args: string[]; env: Record<string, string> };
    expect(server.command).toBe("dotnet");
    expect(server.args).toEqual(["/ext/host/traceide.dll", "mcp", "--tracking-uri", "https://mlflow.example.com/", "--workspace", "${workspaceFolder}"]);
    expect(server.env).toEqual({
      MLFLOW_TRACKING_USERNAME: "${input:traceide-mlflow-username}",
      MLFLOW_TRACKING_PASSWORD: "${input:traceide-mlflow-password}",
    });
    expect(json.servers!.other).toEqual({ type: "stdio", command: "x" });
    expect(json.inputs!.map((i) => i.id)).toEqual(["keep", "traceide-mlflow-username", "traceide-mlflow-password"]);
    expect(JSON.stringify(json)).not.toContain("s3cret");
  });

  it("a local store needs no credentials", () => {
    const server = withTraceIdeServer({}, { ...base, store: "${workspaceFolder}/mlflow.db" }).servers!.traceide as { args: string[]; env?: unknown };
    expect(server.args).toEqual(["/ext/host/traceide.dll", "mcp", "--store", "${workspaceFolder}/mlflow.db", "--workspace", "${workspaceFolder}"]);
    expect(server.env).toBeUndefined();
    expect(withoutUserInfo("http://127.0.0.1:5000")).toBe("http://127.0.0.1:5000");
  });

  it("a platform package's self-contained host is the command itself: no dotnet", () => {
    const server = withTraceIdeServer({}, { ...base, host: "/ext/host/linux-x64/traceide", store: "/w/mlflow.db" }).servers!.traceide as {
      command: string;
      args: string[];
    };
    expect(server.command).toBe("/ext/host/linux-x64/traceide");
    expect(server.args).toEqual(["mcp", "--store", "/w/mlflow.db", "--workspace", "${workspaceFolder}"]);
  });
});
