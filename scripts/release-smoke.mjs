#!/usr/bin/env node
// Runs a release binary as a user would: `node scripts/release-smoke.mjs dist/release/traceide-<v>-linux-x64.tar.gz`
// unpacks it into a temp folder, starts `traceide ui --no-open` with no .NET on the machine's paths, and checks
// that the printed URL answers its page (index.html and the bundle) and its WebSocket (`session/info`,
// `experiments/list`, `traces/search` of the sample store: Kestrel, StreamJsonRpc, System.Text.Json, SQLite).
// No .NET: as root, in a mount namespace where every .NET install folder is an empty folder (unshare --mount), and
// with /proc/<pid>/maps showing nothing loaded from those folders; where unshare is not permitted, only DOTNET_ROOT
// pointing nowhere and the maps check (said in the output). Node 20 has no WebSocket client: a minimal one is below.
import { execFileSync, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { dotnetDirs, dotnetHider, pathWithoutDotnet } from "./without-dotnet.mjs";

const archive = process.argv[2] && resolve(process.argv[2]);
if (!archive || !existsSync(archive) || !archive.endsWith(".tar.gz")) {
  console.error("usage: node scripts/release-smoke.mjs dist/release/traceide-<version>-linux-x64.tar.gz");
  process.exit(2);
}
const t0 = Date.now();
const log = (m) => console.log(`release-smoke [${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);
let passed = 0;
function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
  passed++;
  log(`ok: ${what}`);
}

const tmp = mkdtempSync(join(tmpdir(), "traceide-release-"));
const home = join(tmp, "home"); // the bundle's native libraries unpack under $HOME/.net on first start
mkdirSync(home);
execFileSync("tar", ["-xzf", archive, "-C", tmp]);
const exe = join(tmp, basename(archive, ".tar.gz"), "traceide");

// The machine's .NET folders, hidden from the binary (scripts/without-dotnet.mjs).
const hiddenDirs = dotnetDirs();
const hider = dotnetHider(hiddenDirs, join(tmp, "empty"));
const env = {
  PATH: pathWithoutDotnet(hiddenDirs),
  HOME: home,
  DOTNET_ROOT: join(tmp, "nowhere"),
  DOTNET_CLI_TELEMETRY_OPTOUT: "1",
};
const [cmd, args] = hider.launch(exe, ["ui", "--no-open"]);
const hiding = hider.hidden ? `mount namespace with ${hiddenDirs.join(", ")} emptied` : "DOTNET_ROOT nowhere only (unshare not permitted)";
log(`${exe} ui --no-open, no .NET: ${hiding}`);
const child = spawn(cmd, args, { cwd: tmp, env, stdio: ["ignore", "pipe", "pipe"] });
const stderr = [];
child.stderr.on("data", (d) => stderr.push(String(d)));

let failed = false;
try {
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error("no URL line within 60 s")), 60_000);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /TraceIde UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(new URL(m[1]));
      }
    });
    child.on("exit", (code) => rej(new Error(`traceide ui exited (${code})`)));
  });
  log(`up after ${((Date.now() - t0) / 1000).toFixed(1)} s at ${url.origin}`);

  const maps = readFileSync(`/proc/${child.pid}/maps`, "utf8")
    .split("\n")
    .map((l) => l.split(/\s+/).slice(5).join(" "))
    .filter((f) => f.startsWith("/"));
  const fromMachine = [...new Set(maps.filter((f) => hiddenDirs.some((d) => f.startsWith(d + "/"))))];
  check(
    fromMachine.length === 0,
    `nothing mapped from a machine .NET folder (${hiddenDirs.join(", ") || "none found"})${fromMachine.length ? `: ${fromMachine.join(", ")}` : ""}`,
  );
  check(realpathSync(`/proc/${child.pid}/exe`) === realpathSync(exe), "the process is the release binary itself");

  const page = await fetch(url);
  const html = await page.text();
  check(page.status === 200 && /<script[^>]+main\.js/.test(html), `GET / answers the UI page (${page.status}, ${html.length} bytes)`);
  const bundle = await fetch(new URL("/main.js", url));
  check(bundle.status === 200 && (await bundle.text()).length > 10_000, `GET /main.js answers the bundle (${bundle.status})`);

  const ws = await openWebSocket(url);
  const info = await ws.call("session/info", null);
  check(info && typeof info.backendKind === "string", `WebSocket session/info answers (${info.backendKind} ${info.backendLocation ?? ""})`);
  const experiments = await ws.call("experiments/list", {});
  check(experiments.experiments?.length > 0, `experiments/list answers (${experiments.experiments?.length} experiments)`);
  const search = await ws.call("traces/search", { experimentIds: [experiments.experiments[0].experimentId], pageSize: 10 });
  check(search.traces?.length > 0, `traces/search answers from the sample store (${search.traces.length} traces)`);
  ws.close();
} catch (e) {
  failed = true;
  console.error(`release-smoke: FAIL: ${e.message}`);
  console.error(stderr.join("").split("\n").slice(-30).join("\n"));
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once("exit", r)));
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) process.exit(1);
console.log(`release-smoke: ${passed} checks passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

/** A WebSocket client (RFC 6455, text frames, client-masked), enough for JSON-RPC with the host's `/rpc`. */
async function openWebSocket(pageUrl) {
  const key = randomBytes(16).toString("base64");
  const socket = connect(Number(pageUrl.port), "127.0.0.1");
  await new Promise((res, rej) => socket.once("connect", res).once("error", rej));
  socket.write(
    `GET /rpc?token=${pageUrl.searchParams.get("token")} HTTP/1.1\r\nHost: ${pageUrl.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${pageUrl.origin}\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  const waiting = new Map();
  let handshake;
  const handshaken = new Promise((res, rej) => (handshake = { res, rej }));
  let upgraded = false;
  socket.on("data", (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (!upgraded) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString("latin1");
      buffer = buffer.subarray(end + 4);
      const accept = createHash("sha1")
        .update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
        .digest("base64");
      if (!/^HTTP\/1\.1 101/.test(head) || !head.includes(accept)) return handshake.rej(new Error(`WebSocket refused: ${head.split("\r\n")[0]}`));
      upgraded = true;
      handshake.res();
    }
    for (;;) {
      if (buffer.length < 2) return;
      let len = buffer[1] & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = buffer.length >= 4 ? [buffer.readUInt16BE(2), 4] : [-1, 0];
      else if (len === 127) [len, at] = buffer.length >= 10 ? [Number(buffer.readBigUInt64BE(2)), 10] : [-1, 0];
      if (len < 0 || buffer.length < at + len) return;
      const opcode = buffer[0] & 0x0f;
      const payload = buffer.subarray(at, at + len).toString("utf8");
      buffer = buffer.subarray(at + len);
      if (opcode !== 1) continue; // the host sends one JSON-RPC message per text frame
      const msg = JSON.parse(payload);
      const w = waiting.get(msg.id);
      if (!w) continue; // a notification
      waiting.delete(msg.id);
      if (msg.error) w.rej(new Error(`${msg.error.code}: ${msg.error.message}`));
      else w.res(msg.result);
    }
  });
  await handshaken;
  let nextId = 1;
  return {
    call(method, params) {
      const id = nextId++;
      const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params == null ? {} : { params }) })); // the host drops `params: null`
      const mask = randomBytes(4);
      const head = body.length < 126 ? Buffer.from([0x81, 0x80 | body.length]) : Buffer.from([0x81, 0x80 | 126, body.length >> 8, body.length & 0xff]);
      const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]));
      socket.write(Buffer.concat([head, mask, masked]));
      return new Promise((res, rej) => {
        waiting.set(id, { res, rej });
        setTimeout(() => rej(new Error(`${method}: no answer in 30 s`)), 30_000).unref();
      });
    },
    close: () => socket.destroy(),
  };
}
