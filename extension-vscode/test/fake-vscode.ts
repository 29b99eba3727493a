// A small fake of the `vscode` module for unit tests (aliased in vitest.config.ts). Records calls.
export const calls: Array<{ api: string; args: unknown[] }> = [];
export function resetCalls(): void {
  calls.length = 0;
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri("file", p);
  }
  static parse(s: string): Uri {
    const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(s);
    return m ? new Uri(m[1]!, m[2]!) : new Uri(s.split(":")[0]!, s);
  }
  static from(parts: { scheme: string; path: string }): Uri {
    return new Uri(parts.scheme, parts.path);
  }
  get path(): string {
    return this.fsPath;
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, [base.fsPath.replace(/\/$/, ""), ...parts].join("/"));
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}
export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}
export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}
/** A webview tab's input (a TraceIde panel), as `tabGroups.activeTabGroup.activeTab.input`. */
export class TabInputWebview {
  constructor(readonly viewType: string) {}
}
export enum SymbolKind {
  File = 0,
  Class = 4,
  Method = 5,
  Constructor = 8,
  Function = 11,
  Variable = 12,
}

export const files = new Map<string, string>();
export let workspaceFolders: Array<{ uri: Uri; name: string; index: number }> = [];
export function setWorkspace(folder: string | undefined): void {
  workspaceFolders = folder ? [{ uri: Uri.file(folder), name: "ws", index: 0 }] : [];
}

export const workspace = {
  get workspaceFolders() {
    return workspaceFolders;
  },
  fs: {
    async stat(uri: Uri) {
      if (!files.has(uri.fsPath)) throw new Error(`ENOENT ${uri.fsPath}`);
      return { size: files.get(uri.fsPath)!.length };
    },
    async readFile(uri: Uri) {
      const t = files.get(uri.fsPath);
      if (t === undefined) throw new Error(`ENOENT ${uri.fsPath}`);
      return new TextEncoder().encode(t);
    },
  },
  async openTextDocument(uri: Uri) {
    calls.push({ api: "openTextDocument", args: [uri.fsPath] });
    const text = files.get(uri.fsPath);
    if (text === undefined) throw new Error(`cannot open ${uri.fsPath}`);
    return { uri, lineCount: text.split("\n").length };
  },
  async findFiles() {
    return [...files.keys()].map((p) => Uri.file(p));
  },
  asRelativePath(uri: Uri) {
    return uri.fsPath;
  },
};

export const window = {
  async showTextDocument(doc: { uri: Uri }, options: { selection: Range; viewColumn?: ViewColumn }) {
    calls.push({ api: "showTextDocument", args: [doc.uri.fsPath, options.selection.start.line] });
    lastViewColumn = options.viewColumn;
    return { document: doc, selection: { active: options.selection.start } };
  },
  /** The active group and its active tab (tests set them). */
  tabGroups: { activeTabGroup: { viewColumn: ViewColumn.One as ViewColumn, activeTab: undefined as { input: unknown } | undefined } },
};
/** The viewColumn the last showTextDocument was asked for. */
export let lastViewColumn: ViewColumn | undefined;

export let clipboardText = "";
export const env = {
  clipboard: {
    async writeText(t: string) {
      clipboardText = t;
    },
  },
};

export let workspaceSymbols: Array<{ name: string; kind: SymbolKind; location: { uri: Uri; range: Range } }> = [];
export function setSymbols(s: typeof workspaceSymbols): void {
  workspaceSymbols = s;
}
export const commands = {
  async executeCommand(id: string, ...args: unknown[]) {
    calls.push({ api: `command:${id}`, args });
    if (id === "vscode.executeWorkspaceSymbolProvider") return workspaceSymbols;
    return undefined;
  },
};

// ---- events, CodeLens / hover (codeLinks.ts, runTraces.ts)
export class EventEmitter<T> {
  private listeners: Array<(e: T) => unknown> = [];
  fired = 0;
  readonly event = (listener: (e: T) => unknown) => {
    this.listeners.push(listener);
    return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  fire(e: T): void {
    this.fired++;
    for (const l of [...this.listeners]) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}
export class CodeLens {
  constructor(
    readonly range: Range,
    readonly command?: { title: string; command: string; tooltip?: string; arguments?: unknown[] },
  ) {}
}
export class MarkdownString {
  value = "";
  isTrusted = false;
  supportHtml = false;
  appendMarkdown(s: string): this {
    this.value += s;
    return this;
  }
  appendCodeblock(code: string, language = ""): this {
    this.value += `\n\`\`\`${language}\n${code}\n\`\`\`\n`;
    return this;
  }
}
export class Hover {
  constructor(readonly contents: MarkdownString) {}
}
/** A text document as the providers see it. */
export function document(path: string, languageId: string, text: string, version = 1) {
  return { uri: Uri.file(path), languageId, version, getText: () => text };
}

// ---- language-model tools (agentTools.ts)
export class LanguageModelTextPart {
  constructor(public value: string) {}
}
export class LanguageModelToolResult {
  constructor(public content: unknown[]) {}
}
export const lm = {
  registered: new Map<string, unknown>(),
  registerTool(name: string, tool: unknown) {
    lm.registered.set(name, tool);
    return { dispose: () => lm.registered.delete(name) };
  },
};

export const version = "1.100.3";
