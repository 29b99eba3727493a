// The real host the tests run (the Release build) and the recorded fixture it serves.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO = join(__dirname, "..", "..");
export const FIXTURES = join(REPO, "tests", "fixtures", "mlflow-3.11.2.dev0");
export const DLL = process.env.TRACEIDE_DLL ?? join(REPO, "server", "TraceIde.Host", "bin", "Release", "net10.0", "traceide.dll");
if (!existsSync(DLL)) throw new Error(`${DLL} is missing: build the host first (dotnet build TraceIde.sln -c Release)`);

/**
 * A copy of the fixture store in a temp folder (removed by `cleanup`), and a way to write into it in MLflow's
 * schema (python3's sqlite3), for traces that arrive while a test watches.
 */
export function storeCopy(prefix: string, cleanup: Array<() => void>): { db: string; sql(statement: string): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(FIXTURES, "store"), dir, { recursive: true });
  const db = join(dir, "mlflow.db");
  return {
    db,
    sql: (statement) =>
      void execFileSync("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()", db, statement]),
  };
}
