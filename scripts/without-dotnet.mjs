// Where .NET lives on this machine, and how to start a program that cannot see it: the release smoke test and the
// VS Code e2e both prove that what ships runs with no .NET installed. As root, a mount namespace hides every .NET
// folder behind an empty one (unshare --mount); where unshare is not permitted, only PATH and DOTNET_ROOT can.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

/** PATH's folders, in order. */
export const pathDirs = (process.env.PATH ?? "").split(":").filter(Boolean);

/** The machine's .NET install folders that exist: the usual places and the one the `dotnet` on PATH lives in. */
export function dotnetDirs() {
  const dotnetOnPath = pathDirs.map((d) => join(d, "dotnet")).find((f) => existsSync(f));
  return [
    ...new Set([
      "/usr/share/dotnet",
      "/usr/lib/dotnet",
      "/usr/local/share/dotnet",
      "/opt/dotnet",
      join(process.env.HOME ?? "/root", ".dotnet"),
      ...(dotnetOnPath ? [dirname(realpathSync(dotnetOnPath))] : []),
    ]),
  ].filter((d) => existsSync(d));
}

/** PATH without the .NET folders (node, sh and the rest stay). */
export const pathWithoutDotnet = (dirs) => pathDirs.filter((d) => !dirs.includes(d)).join(":");

/**
 * A launcher that hides `dirs` behind `emptyDir` (made here) for `cmd args…` in a private mount namespace, then execs
 * it (same PID); `hidden` says whether the mounts are possible here (root, unshare permitted). Without them, `launch`
 * returns the command unchanged.
 */
export function dotnetHider(dirs, emptyDir) {
  mkdirSync(emptyDir, { recursive: true });
  let hidden = false;
  try {
    execFileSync("unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", `mount --bind "$0" "$1"`, emptyDir, emptyDir], { stdio: "pipe" });
    hidden = true;
  } catch {}
  const mountAll = `e=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do mount --bind "$e" "$1" || exit 97; shift; n=$((n - 1)); done; exec "$@"`;
  const launch = (cmd, args) =>
    hidden
      ? ["unshare", ["--mount", "--propagation", "private", "--", "/bin/sh", "-c", mountAll, "sh", emptyDir, String(dirs.length), ...dirs, cmd, ...args]]
      : [cmd, args];
  return { hidden, launch };
}
