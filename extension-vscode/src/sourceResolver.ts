// VS Code's own search for a function's definition (IdeSurface.findDefinitions), used when the host's
// `source/locate` finds nothing: workspace symbols first (any language extension that provides them), then a
// plain scan for `def name` / `function name` / `name(` definitions so it also works where no symbol provider
// is installed. The name comes from ideHandlers.ts's functionNameOf.
import * as vscode from "vscode";

export interface SourceCandidate {
  uri: vscode.Uri;
  line: number; // 1-based
  score: number;
  reason: string;
}

const FUNCTION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);

export async function resolveByFunctionName(name: string, token?: vscode.CancellationToken): Promise<SourceCandidate[]> {
  if (!/^[\w$]+$/.test(name)) return [];
  const out: SourceCandidate[] = [];
  try {
    const symbols = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>("vscode.executeWorkspaceSymbolProvider", name)) ?? [];
    for (const s of symbols) {
      if (s.name !== name && !s.name.endsWith(`.${name}`)) continue;
      const score = (s.name === name ? 2 : 1) + (FUNCTION_KINDS.has(s.kind) ? 1 : 0);
      out.push({ uri: s.location.uri, line: s.location.range.start.line + 1, score, reason: `workspace symbol ${vscode.SymbolKind[s.kind]} ${s.name}` });
    }
  } catch {
    /* no provider */
  }
  if (out.length === 0 && !token?.isCancellationRequested) out.push(...(await scanDefinitions(name, token)));
  return out.sort((a, b) => b.score - a.score || a.uri.fsPath.localeCompare(b.uri.fsPath) || a.line - b.line);
}

const SCAN_GLOB = "**/*.{py,ts,tsx,js,mjs,cjs,cs,java,go,rb,kt}";
const SCAN_EXCLUDE = "**/{node_modules,.git,.venv,venv,bin,obj,dist,build,__pycache__}/**";

async function scanDefinitions(name: string, token?: vscode.CancellationToken): Promise<SourceCandidate[]> {
  const patterns = [
    new RegExp(`^\\s*(?:async\\s+)?def\\s+${name}\\s*\\(`), // Python
    new RegExp(`^\\s*(?:export\\s+)?(?:async\\s+)?function\\s*\\*?\\s*${name}\\s*[(<]`), // JS/TS
    // C#/Java: `[modifiers] Type name(` — not a statement (return/await/… or ending in `;`).
    new RegExp(
      "^(?!\\s*(?:return|await|yield|throw|new|else|case|if|while|for|foreach|using|var|let|const)\\b)(?!.*;\\s*$)" +
        `\\s*(?:public|private|protected|internal|static|async|override|virtual|\\s)*[\\w<>\\[\\],.?]+\\s+${name}\\s*\\(`,
    ),
    new RegExp(`^\\s*func\\s+(?:\\([^)]*\\)\\s*)?${name}\\s*\\(`), // Go
  ];
  const files = await vscode.workspace.findFiles(SCAN_GLOB, SCAN_EXCLUDE, 2000, token);
  const out: SourceCandidate[] = [];
  const decoder = new TextDecoder();
  for (const uri of files) {
    if (token?.isCancellationRequested) break;
    let text: string;
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      if (bytes.byteLength > 2_000_000) continue;
      text = decoder.decode(bytes);
    } catch {
      continue;
    }
    if (!text.includes(name)) continue;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const p = patterns.findIndex((re) => re.test(lines[i]!));
      if (p >= 0) out.push({ uri, line: i + 1, score: p === 2 ? 1 : 2, reason: `definition of ${name}` });
    }
  }
  return out;
}
