// What the UI asks of the IDE that shows it: the contract's IDE methods (IdeMethods, `ide/*`), sent as ordinary
// requests through the one transport. In VS Code and Visual Studio the relay answers them; in browser mode there
// is no IDE, so the page answers what it can itself (open a trace or the Overview in place, copy, save) and says
// clearly what it cannot (open a file in an editor).
import { IDE_METHODS, RpcErrorCodes, type IdeRequests } from "./protocol.generated";
import { RpcError, type Method, type ParamsOf, type ResultOf, type Transport } from "./transport";

export type IdeMethod = keyof IdeRequests;

export type IdeHandlers = { [M in IdeMethod]: (params: IdeRequests[M]["params"]) => Promise<IdeRequests[M]["result"]> };

export function isIdeMethod(method: string): method is IdeMethod {
  return (IDE_METHODS as readonly string[]).includes(method);
}

/** What browser mode's page can do for the IDE methods. */
export interface BrowserPage {
  openTrace(traceId: string, spanId?: string): void;
  openOverview(): void;
  showList(): void;
  copyText(text: string): Promise<void>;
  /** `ide/openText`: a page cannot open an editor; it saves the text as a download. */
  saveText(text: string, fileName: string): void;
}

function needsAnIde(what: string): () => Promise<never> {
  return () =>
    Promise.reject(
      new RpcError(
        RpcErrorCodes.unsupported,
        `${what} needs an IDE: browser mode cannot open your editor. Open this trace in VS Code or Visual Studio with the TraceIde extension.`,
        { kind: "unsupported" },
      ),
    );
}

/** Browser mode's answers to every IDE method. */
export function browserIde(page: BrowserPage): IdeHandlers {
  return {
    "ide/openFile": needsAnIde("Opening a file"),
    "ide/openSpanSource": needsAnIde("Jump to source"),
    "ide/openTrace": async (p) => {
      page.openTrace(p.traceId, p.spanId ?? undefined);
      return {};
    },
    "ide/openOverview": async () => {
      page.openOverview();
      return {};
    },
    "ide/copy": async (p) => {
      try {
        await page.copyText(p.text);
      } catch (err) {
        throw new RpcError(RpcErrorCodes.unsupported, `The browser did not allow copying (${err instanceof Error ? err.message : String(err)}).`, {
          kind: "unsupported",
        });
      }
      return {};
    },
    "ide/revealPanel": async () => {
      page.showList();
      return {};
    },
    "ide/openText": async (p) => {
      page.saveText(p.text, p.fileName);
      return {};
    },
  };
}

/** A transport that answers the IDE methods with `handlers` (set once the page exists) and sends the rest on. */
export class LocalIdeTransport implements Transport {
  handlers: IdeHandlers | null = null;

  constructor(readonly inner: Transport) {}

  request<M extends Method>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<ResultOf<M>> {
    if (!isIdeMethod(method)) return this.inner.request(method, params, signal);
    const handler = this.handlers?.[method] as ((p: unknown) => Promise<unknown>) | undefined;
    if (!handler) return Promise.reject(new RpcError(RpcErrorCodes.unsupported, `'${method}' is not available yet: the page is still starting.`));
    return handler(params) as Promise<ResultOf<M>>;
  }

  dispose(): void {
    this.inner.dispose();
  }
}
