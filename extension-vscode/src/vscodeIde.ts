// What VS Code does for the contract's IDE methods (the IdeSurface of ideHandlers.ts, which holds the rules):
// open an editor at a line, a quick pick for ambiguous locations, the clipboard, TraceIde's own tabs and panel.
import * as vscode from "vscode";
import { RpcErrorCodes, type SourceLocation } from "../../webview/src/protocol.generated";
import { uniqueUntitledName, type IdeSurface } from "./ideHandlers";
import { resolveByFunctionName } from "./sourceResolver";

export interface VsCodeIdeDeps {
  openTrace(traceId: string, spanId?: string): void;
  openOverview(experimentIds?: string[]): void;
  revealPanel(): Promise<void>;
}

export function vscodeIdeSurface(deps: VsCodeIdeDeps): IdeSurface {
  return {
    fileExists: async (path) => {
      const uri = await resolveWorkspacePath(path);
      if (!uri) return false;
      try {
        await vscode.workspace.fs.stat(uri);
        return true;
      } catch {
        return false;
      }
    },
    openFile: async (path, line, column) => {
      const uri = await resolveWorkspacePath(path);
      if (!uri) throw { code: RpcErrorCodes.notFound, message: `No workspace folder to resolve '${path}' against.` };
      try {
        const editor = await openFileAt(uri, line, column);
        return { path: editor.document.uri.fsPath, line: editor.selection.active.line + 1 };
      } catch (err) {
        throw { code: RpcErrorCodes.notFound, message: `Could not open ${path}: ${err instanceof Error ? err.message : String(err)}` };
      }
    },
    choose: async (locations, placeholder) =>
      (await vscode.window.showQuickPick(pickItems(locations), { placeHolder: placeholder, matchOnDetail: true }))?.location,
    findDefinitions: async (name) =>
      (await resolveByFunctionName(name)).map((c) => ({
        path: c.uri.fsPath,
        line: c.line,
        confidence: Math.min(1, c.score / 3),
        reason: c.reason,
        kind: "definition",
      })),
    copy: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
    openTrace: async (traceId, spanId) => deps.openTrace(traceId, spanId),
    openOverview: async (experimentIds) => deps.openOverview(experimentIds),
    revealPanel: () => deps.revealPanel(),
    openText: async (text, fileName, language) => {
      const doc = await vscode.workspace.openTextDocument(valueDocuments.add(text, fileName));
      await vscode.languages.setTextDocumentLanguage(doc, language);
      await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.Beside });
    },
  };
}

/** The scheme of the read-only documents `ide/openText` shows. */
export const VALUE_SCHEME = "traceide-value";

/**
 * The texts `ide/openText` shows, as read-only documents named after the span and part: read, searched and saved
 * with Save As like any file, closed without a "save changes?" question (an untitled editor would ask, and would come
 * back unsaved after a window reload). Registered once by `activate`, which also releases a text when VS Code closes
 * its document (a value can be megabytes; the trace still has it).
 */
export class ValueDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private count = 0;

  /** A new document of `text`; a name already shown gets -2, -3… so two values never share one. */
  add(text: string, fileName: string): vscode.Uri {
    const open = new Set([...this.texts.keys()].map((k) => vscode.Uri.parse(k).path.replace(/^\/\d+\//, "")));
    const uri = vscode.Uri.from({ scheme: VALUE_SCHEME, path: `/${++this.count}/${uniqueUntitledName(fileName, open)}` });
    this.texts.set(uri.toString(), text);
    return uri;
  }

  /** Lets the text of a closed document go; reopening it (Reopen Closed Editor) then says where to find it again. */
  release(uri: vscode.Uri): void {
    this.texts.delete(uri.toString());
  }

  /** How many texts are kept (tests). */
  get size(): number {
    return this.texts.size;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? RELEASED_VALUE;
  }
}

/** What a released value's document says when it is opened again. */
export const RELEASED_VALUE = "This value was closed. Open it again from the trace: Open in Editor on the span's part.\n";

export const valueDocuments = new ValueDocuments();

/** Quick-pick items for ambiguous locations, best first, with the host's reason and confidence. */
export function pickItems(locations: readonly SourceLocation[]): Array<vscode.QuickPickItem & { location: SourceLocation }> {
  return locations.map((l) => ({
    label: `${vscode.workspace.asRelativePath(vscode.Uri.file(l.path))}:${l.line}`,
    description: `${Math.round(l.confidence * 100)}%`,
    detail: l.reason,
    location: l,
  }));
}

/** Resolves a path from the UI or the host: absolute, file URI, or relative to a workspace folder. */
export async function resolveWorkspacePath(path: string): Promise<vscode.Uri | undefined> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return vscode.Uri.parse(path);
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (path.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(path)) return vscode.Uri.file(path);
  for (const f of folders) {
    const candidate = vscode.Uri.joinPath(f.uri, path);
    try {
      await vscode.workspace.fs.stat(candidate);
      return candidate;
    } catch {
      /* try the next folder */
    }
  }
  return folders[0] ? vscode.Uri.joinPath(folders[0].uri, path) : undefined;
}

/** Opens a document with the 1-based line (and column) selected and revealed. */
export async function openFileAt(uri: vscode.Uri, line?: number, column?: number): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  const l = Math.max(0, Math.min((line ?? 1) - 1, doc.lineCount - 1));
  const c = Math.max(0, (column ?? 1) - 1);
  const pos = new vscode.Position(l, c);
  return vscode.window.showTextDocument(doc, {
    viewColumn: codeColumn(),
    preview: true,
    selection: new vscode.Range(pos, pos),
  });
}

/**
 * Where code opens: the first group, unless the jump comes from a TraceIde tab that is in it — then beside it,
 * so the trace stays in view next to its code.
 */
function codeColumn(): vscode.ViewColumn {
  const group = vscode.window.tabGroups?.activeTabGroup;
  const fromWebview = typeof vscode.TabInputWebview === "function" && group?.activeTab?.input instanceof vscode.TabInputWebview;
  return fromWebview && group.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
}
