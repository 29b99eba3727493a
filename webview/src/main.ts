// Entry point: choose the transport (IDE postMessage relay, or the browser's WebSocket with the page answering the
// IDE methods itself), read the view to mount as (panel-view.ts), mount the app.
import "./styles.css";
import { PostMessageTransport, startTransport, WebSocketTransport } from "./transport";
import { App } from "./app";
import { localSettings, webviewSettings } from "./traces-logic";
import { browserIde, LocalIdeTransport } from "./ide";
import { initialPanelView } from "./panel-view";
import { followBrowserHistory, stateFromSearch } from "./browser-url";
import { downloadText } from "./big-value";

const started = startTransport();
const settings = started.vscode ? webviewSettings(started.vscode) : localSettings();
const transport = started.mode === "browser" ? new LocalIdeTransport(started.transport) : started.transport;
const pageSize = Number(new URLSearchParams(location.search).get("pageSize")) || undefined;
// VS Code writes the view into the page; Visual Studio's tool window (and a browser link) into the URL.
const asked = document.body.dataset.traceideView ?? new URLSearchParams(location.search).get("view") ?? undefined;
let view = initialPanelView(asked, started.vscode ? settings : undefined);
// Browser mode: a link's experiment is the first one shown (not a second load after the default one).
const linked = started.mode === "browser" ? stateFromSearch(location.search).experiment : null;
if (linked && view.view === "list") view = { ...view, experimentIds: [linked] };
const app = new App(transport, { pageSize, mode: started.mode, settings, view });
if (started.mode === "browser" && view.view === "list") {
  // A link's search and sort go into the first search (the address bar's state is restored in full once it is up).
  const { q, sort } = stateFromSearch(location.search);
  app.traces.applyQuery(q ?? "", sort ?? "timestamp_ms DESC");
}
if (transport instanceof LocalIdeTransport) {
  transport.handlers = browserIde({
    openTrace: (traceId, spanId) => void app.openTrace(traceId, spanId),
    openOverview: () => app.setTab("overview"),
    showList: () => app.showList(),
    copyText: (text) => navigator.clipboard.writeText(text),
    saveText: downloadText,
  });
}
if (started.transport instanceof PostMessageTransport) started.transport.onNotification = (method, params) => app.handleUiNotification(method, params);
document.body.appendChild(app.element);
if (started.transport instanceof WebSocketTransport) {
  started.transport.onClose = (reason) => {
    const banner = document.querySelector<HTMLElement>(".banner");
    if (banner) {
      banner.textContent = reason;
      banner.hidden = false;
    }
  };
}
// Browser mode: what the page shows lives in the URL (Back closes a trace, a link or a reload shows it again).
const history = started.mode === "browser" && view.view === "list" ? followBrowserHistory(app, window) : null;
void app.start().then(() => history?.openInitial());
