// Entry point: choose the transport (IDE postMessage relay or browser WebSocket), mount the app.
import "./styles.css";
import { startTransport, WebSocketTransport } from "./transport";
import { App } from "./app";
import { localSettings, webviewSettings } from "./traces-logic";

const { transport, mode, vscode } = startTransport();
const pageSize = Number(new URLSearchParams(location.search).get("pageSize")) || undefined;
const app = new App(transport, { pageSize, mode, settings: vscode ? webviewSettings(vscode) : localSettings() });
document.body.appendChild(app.element);
if (transport instanceof WebSocketTransport) {
  transport.onClose = (reason) => {
    const banner = document.querySelector<HTMLElement>(".banner");
    if (banner) {
      banner.textContent = reason;
      banner.hidden = false;
    }
  };
}
void app.start();
