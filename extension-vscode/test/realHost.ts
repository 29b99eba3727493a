// The real host the tests run (the Release build) and the recorded fixture it serves.
import { existsSync } from "node:fs";
import { join } from "node:path";

export const REPO = join(__dirname, "..", "..");
export const FIXTURES = join(REPO, "tests", "fixtures", "mlflow-3.11.2.dev0");
export const DLL = process.env.TRACEIDE_DLL ?? join(REPO, "server", "TraceIde.Host", "bin", "Release", "net10.0", "traceide.dll");
if (!existsSync(DLL)) throw new Error(`${DLL} is missing: build the host first (dotnet build TraceIde.sln -c Release)`);
