// The host lifecycle against a REAL host process: the Release build of server/TraceIde.Host with the
// fixture store. Crash (SIGKILL) → restart with backoff → answering again; stop → no orphan.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { hostPaths, hostPlatform, linuxIsMusl } from "../src/hostSetup";
import { HostProcess, hostCommand, missingRuntime, type HostStatus } from "../src/hostProcess";
import { DLL, REPO } from "./realHost";
import { sortedSearchable, until } from "./util";

const STORE = process.env.TRACEIDE_STORE ?? join(REPO, "tests", "fixtures", "mlflow-3.11.2.dev0", "store", "mlflow.db");
const REPLAY = join(REPO, "tests", "TraceIde.ReplayServer", "bin", "Release", "net10.0", "TraceIde.ReplayServer.dll");

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let hosts: HostProcess[] = [];
afterEach(() => {
  for (const h of hosts) h.dispose();
  hosts = [];
});

function makeHost(overrides: Partial<ConstructorParameters<typeof HostProcess>[0]> = {}) {
  const log: string[] = [];
  const states: HostStatus[] = [];
  const h = new HostProcess({
    dotnet: "dotnet",
    host: DLL,
    log: (l) => log.push(l),
    configure: async () => ({ init: { store: STORE, clientName: "vitest", workspaceFolders: [] }, env: { MLFLOW_TRACKING_TOKEN: "secret-token-xyz" } }),
    initialBackoffMs: 200,
    maxBackoffMs: 1000,
    stableAfterMs: 60_000,
    ...overrides,
  });
  h.onDidChange((s) => states.push({ ...s }));
  hosts.push(h);
  return { h, log, states };
}

describe("host lifecycle (real host)", () => {
  it("starts, initializes against the fixture store and answers requests", async () => {
    const { h, log } = makeHost();
    const s = await h.start();
    expect(s.state).toBe("running");
    expect(s.info?.backendKind).toBe("localStore");
    expect(s.info?.backendLocation).toContain("mlflow.db");
    expect(alive(s.pid)).toBe(true);
    const list = await h.request<{ experiments: Array<{ experimentId: string; name: string; isGenAi: boolean }> }>("experiments/list", {});
    // The fixture store: MLflow's Default experiment and the GenAI one with its 43 traces.
    expect(list.experiments.map((e) => e.name).sort()).toEqual(["Default", "genai-fixture-small"]);
    const traces = await h.request<{ traces: unknown[] }>("traces/search", { experimentIds: sortedSearchable(list.experiments), pageSize: 500 });
    expect(traces.traces).toHaveLength(43);
    expect(log.join("\n")).not.toContain("secret-token-xyz");
  });

  it("takes its clock from the host: the system's, or the instant TRACEIDE_NOW gives", async () => {
    const real = makeHost({
      configure: async () => ({ init: { store: STORE, clientName: "vitest", workspaceFolders: [] }, env: { TRACEIDE_NOW: undefined } }),
    });
    await real.h.start();
    expect(Math.abs(real.h.clock.now() - Date.now())).toBeLessThan(5_000);

    const fixtureNow = Date.UTC(2026, 10, 24);
    const shifted = makeHost({
      configure: async () => ({ init: { store: STORE, clientName: "vitest", workspaceFolders: [] }, env: { TRACEIDE_NOW: "2026-11-24T00:00:00Z" } }),
    });
    expect((await shifted.h.start()).info?.nowMs).toBeGreaterThanOrEqual(fixtureNow);
    const now = shifted.h.clock.now();
    expect(now).toBeGreaterThanOrEqual(fixtureNow);
    expect(now - fixtureNow).toBeLessThan(60_000);
  });

  it("restarts a crashed host with exponential backoff and answers again", async () => {
    const { h, states } = makeHost();
    await h.start();
    const firstPid = h.current.pid!;
    process.kill(firstPid, "SIGKILL");
    await until("restart scheduled", () => h.current.state === "starting" && h.current.nextRetryMs === 200);
    // A request made while the host is down waits for the new host.
    const pending = h.request<{ experiments: unknown[] }>("experiments/list", {});
    await until("running again", () => h.current.state === "running" && h.current.pid !== firstPid);
    expect((await pending).experiments).toHaveLength(2);
    expect(h.current.restarts).toBe(1);
    expect(alive(firstPid)).toBe(false);

    // A second crash soon after: the delay doubles.
    const secondPid = h.current.pid!;
    process.kill(secondPid, "SIGKILL");
    await until("second restart scheduled", () => h.current.state === "starting" && h.current.nextRetryMs !== undefined);
    expect(h.current.nextRetryMs).toBe(400);
    await until("running a third time", () => h.current.state === "running" && h.current.pid !== secondPid);
    expect(h.current.restarts).toBe(2);
    const again = await h.request<{ experiments: unknown[] }>("experiments/list", {});
    expect(again.experiments).toHaveLength(2);
    expect(states.some((s) => s.state === "starting" && s.error?.includes("SIGKILL"))).toBe(true);
  });

  it("caps the backoff", async () => {
    const { h } = makeHost({ initialBackoffMs: 400, maxBackoffMs: 500 });
    await h.start();
    for (const expected of [400, 500]) {
      const pid = h.current.pid!;
      process.kill(pid, "SIGKILL");
      await until(`restart in ${expected}`, () => h.current.state === "starting" && h.current.nextRetryMs !== undefined);
      expect(h.current.nextRetryMs).toBe(expected);
      await until("running", () => h.current.state === "running" && h.current.pid !== pid);
    }
  });

  it("stops restarting after the policy's deaths in a row, says so, and restart() starts it again", async () => {
    const { h, log } = makeHost({ initialBackoffMs: 50, maxBackoffMs: 100, maxDeathsInARow: 2 });
    await h.start();
    for (let death = 1; death <= 2; death++) {
      const pid = h.current.pid!;
      process.kill(pid, "SIGKILL");
      await until(`running again after death ${death}`, () => h.current.state === "running" && h.current.pid !== pid);
    }
    const last = h.current.pid!;
    process.kill(last, "SIGKILL");
    await until("given up", () => h.current.state === "failed");
    expect(h.current.error).toContain("stopped 3 times in a row; not restarting it");
    expect(h.current.error).toContain("TraceIde: Restart Host");
    await until("no process and no timer left", () => h.settled);
    expect(h.current.state).toBe("failed"); // and nothing left that could change it
    expect((await h.restart()).state).toBe("running");
    expect(log.join("\n")).toContain("stopped 3 times in a row");
  });

  it("a host that does not answer initialize in time is killed and counted as a death", async () => {
    // A process that never speaks (the real host always answers), started as a self-contained host is: `silent serve …`.
    const dir = mkdtempSync(join(tmpdir(), "traceide-silent-"));
    const script = join(dir, "silent");
    writeFileSync(script, "#!/bin/sh\nexec sleep 30\n");
    chmodSync(script, 0o755);
    try {
      const { h, log } = makeHost({ dotnet: "/nonexistent/dotnet", host: script, initializeTimeoutMs: 300, initialBackoffMs: 50, maxDeathsInARow: 1 });
      const first = await h.start();
      expect(first.state).toBe("starting"); // killed for its silence: restarting, not a configuration failure
      await until("given up after the second silent host", () => h.current.state === "failed", 10_000);
      expect(log.filter((l) => l.includes("did not answer initialize within 300 ms")).length).toBe(2);
      expect(h.current.error).toContain("stopped 2 times in a row");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an unreachable tracking server is a failed state that asks again until the server answers", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const { h, log } = makeHost({
      initialBackoffMs: 50,
      maxBackoffMs: 400,
      configure: async () => ({
        init: { trackingUri: `http://127.0.0.1:${port}`, clientName: "vitest", workspaceFolders: [] },
        env: { MLFLOW_HTTP_REQUEST_MAX_RETRIES: "0", MLFLOW_HTTP_REQUEST_TIMEOUT: "2" },
      }),
    });
    const first = await h.start();
    expect(first.state).toBe("failed");
    expect(first.error).toMatch(/127\.0\.0\.1:\d+/);
    expect(h.current.nextRetryMs).toBe(200); // the first reconnect: 50 ms × 4, under the 400 ms cap
    const pid = h.current.pid;
    // The server comes up where the host looks (the recorded MLflow 3.11 exchanges).
    const replay = spawn("dotnet", [REPLAY, "--port", String(port)], { stdio: ["pipe", "pipe", "inherit"] });
    try {
      await until("connected once the server answers", () => h.current.state === "running", 30_000);
      expect(h.current.pid).toBe(pid); // the same host: initialize again, no restart
      expect(h.current.info?.backendKind).toBe("mlflowServer");
      const list = await h.request<{ experiments: unknown[] }>("experiments/list", {});
      expect(list.experiments.length).toBe(2); // the recorded experiments/search: Default and genai-fixture-small
      expect(log.join("\n")).toContain("reconnected: mlflowServer");
    } finally {
      replay.kill();
    }
  });

  it("stop() ends the host process (no orphan) and does not restart it", async () => {
    const { h } = makeHost();
    await h.start();
    const pid = h.current.pid!;
    h.stop();
    await until("host process gone", () => !alive(pid), 5000);
    await until("no process and no timer left", () => h.settled);
    expect(h.current.state).toBe("stopped");
    expect(h.current.pid).toBeUndefined();
  });

  it("a missing dotnet fails with a fix-it message instead of a restart loop", async () => {
    const { h } = makeHost({ dotnet: "/nonexistent/dotnet" });
    const s = await h.start();
    expect(s.state).toBe("failed");
    // What to install, where from, the setting, and the packages that need no .NET at all.
    expect(s.error).toContain("ASP.NET Core Runtime 10.0");
    expect(s.error).toContain("https://dotnet.microsoft.com/download/dotnet/10.0");
    expect(s.error).toContain("traceide.dotnetPath");
    expect(s.error).toContain("linux-x64, linux-arm64, alpine-x64");
    await until("no process and no timer left", () => h.settled);
    expect(h.current.state).toBe("failed");
    await expect(h.request("experiments/list", {})).rejects.toMatchObject({ code: -32099 });
  });

  it("a host that dies before `initialize` (one this .NET refuses) gives way to the fallback at once, for good", async () => {
    // What `dotnet` does with a host precompiled for another OS or architecture: it exits before reading a byte.
    const dir = mkdtempSync(join(tmpdir(), "traceide-refused-"));
    const refused = join(dir, "traceide.dll");
    writeFileSync(refused, "MZ not a .NET assembly for this machine");
    try {
      const { h, log } = makeHost({ host: refused, fallbackHost: DLL });
      const s = await h.start();
      expect(s.state, s.error).toBe("running");
      expect(s.restarts).toBe(0);
      expect(log.filter((l) => l.startsWith("starting:")).map((l) => l.includes(refused))).toEqual([true, false]);
      expect(log).toContain(`the host ${refused} did not start; using ${DLL} from now on`);
      // A later crash restarts the fallback, not the refused host.
      process.kill(s.pid!, "SIGKILL");
      await until("running again", () => h.current.state === "running" && h.current.pid !== s.pid);
      expect(log.filter((l) => l.startsWith("starting:")).at(-1)).toContain(DLL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a host that ran once is restarted as itself after a crash, not replaced by the fallback", async () => {
    const { h, log } = makeHost({ fallbackHost: "/nonexistent/traceide.dll" });
    const s = await h.start();
    process.kill(s.pid!, "SIGKILL");
    await until("running again", () => h.current.state === "running" && h.current.pid !== s.pid);
    expect(log.some((l) => l.includes("did not start"))).toBe(false);
  });

  it("a dotnet without .NET 10 fails at once saying what to install, instead of a restart loop", async () => {
    // The muxer's own words (an older .NET only), from a stand-in `dotnet` that exits as the real one does.
    const dir = mkdtempSync(join(tmpdir(), "traceide-old-dotnet-"));
    const dotnet = join(dir, "dotnet");
    writeFileSync(
      dotnet,
      `#!/bin/sh
echo "You must install or update .NET to run this application." >&2
echo "Framework: 'Microsoft.NETCore.App', version '10.0.0' (x64)" >&2
exit 150
`,
    );
    chmodSync(dotnet, 0o755);
    try {
      const { h, log } = makeHost({ dotnet, initialBackoffMs: 50 });
      expect((await h.start()).state).toBe("failed");
      expect(h.current.error).toContain("no .NET 10 to run the TraceIde host (it asked for Microsoft.NETCore.App 10.0.0)");
      expect(h.current.error).toContain("https://dotnet.microsoft.com/download/dotnet/10.0");
      await until("no process and no timer left", () => h.settled);
      expect(log.filter((l) => l.startsWith("starting:")).length).toBe(1); // no restart loop
      expect(missingRuntime("Segmentation fault")).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a self-contained host is started as an executable; one that cannot be spawned gives way to the fallback", async () => {
    expect(hostCommand("/e/host/linux-x64/traceide", "dotnet", ["serve"])).toEqual({ command: "/e/host/linux-x64/traceide", args: ["serve"] });
    expect(hostCommand("C:\\e\\host\\win32-x64\\traceide.exe", "dotnet", ["serve"])).toEqual({
      command: "C:\\e\\host\\win32-x64\\traceide.exe",
      args: ["serve"],
    });
    expect(hostCommand("/e/host/traceide.dll", "/opt/dotnet/dotnet", ["serve"])).toEqual({
      command: "/opt/dotnet/dotnet",
      args: ["/e/host/traceide.dll", "serve"],
    });
    // Not executable (a home mounted noexec, a lost mode bit): EACCES, then the portable host.
    const dir = mkdtempSync(join(tmpdir(), "traceide-noexec-"));
    const native = join(dir, "traceide");
    writeFileSync(native, "#!/bin/sh\nexit 1\n");
    chmodSync(native, 0o644);
    try {
      const { h, log } = makeHost({ host: native, fallbackHost: DLL });
      expect(h.usesDotnet).toBe(false); // a self-contained host: no dotnet path to offer in the fix-it menu
      const s = await h.start();
      expect(s.state, s.error).toBe("running");
      expect(log).toContain(`the host ${native} did not start; using ${DLL} from now on`);
      expect(h.usesDotnet).toBe(true); // the portable fallback runs on dotnet
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("picks the platform package's self-contained host, else the portable one", () => {
    const root = mkdtempSync(join(tmpdir(), "traceide-ext-"));
    try {
      mkdirSync(join(root, "host", "linux-x64"), { recursive: true });
      mkdirSync(join(root, "host", "win32-x64"), { recursive: true });
      writeFileSync(join(root, "host", "linux-x64", "traceide"), "");
      writeFileSync(join(root, "host", "win32-x64", "traceide.exe"), "");
      // A platform package: its own host only.
      expect(hostPaths(root, "linux-x64")).toEqual({ host: join(root, "host", "linux-x64", "traceide") });
      expect(hostPaths(root, "win32-x64")).toEqual({ host: join(root, "host", "win32-x64", "traceide.exe") });
      // The universal package: the portable host; with both, the portable one is the fallback.
      expect(hostPaths(root, "darwin-arm64")).toEqual({ host: join(root, "host", "traceide.dll") });
      writeFileSync(join(root, "host", "traceide.dll"), "");
      expect(hostPaths(root, "linux-x64")).toEqual({ host: join(root, "host", "linux-x64", "traceide"), fallbackHost: join(root, "host", "traceide.dll") });
      // This machine (glibc Linux or another OS) by VS Code's name for it; musl Linux is alpine-<arch>.
      expect(hostPlatform()).toBe(`${process.platform}-${process.arch}`);
      if (process.platform === "linux") expect(hostPlatform(() => true)).toBe(`alpine-${process.arch}`);
      writeFileSync(join(root, "ldd-musl"), '#!/bin/sh\nexec /lib/ld-musl-x86_64.so.1 --list "$@"\n');
      writeFileSync(join(root, "ldd-glibc"), "#!/bin/bash\n# This file is part of the GNU C Library.\n");
      expect([linuxIsMusl(join(root, "ldd-musl")), linuxIsMusl(join(root, "ldd-glibc")), linuxIsMusl(join(root, "none"))]).toEqual([true, false, false]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("a bad store keeps the host up but reports the initialize error", async () => {
    const { h } = makeHost({ configure: async () => ({ init: { store: "/nonexistent/mlflow.db", clientName: "vitest" }, env: {} }) });
    const s = await h.start();
    expect(s.state).toBe("failed");
    expect(s.error).toContain("/nonexistent/mlflow.db");
  });
});
