// The status bar item: where the traces come from (and the MLflow version), the host starting or restarting,
// or what went wrong with a click for fixes.
import * as path from "node:path";
import * as vscode from "vscode";
import type { HostStatus } from "./hostProcess";
import { redact } from "./relay";

/** Creates the item; the returned function shows a host status. */
export function createStatusBar(context: vscode.ExtensionContext): (s: HostStatus) => void {
  const status = vscode.window.createStatusBarItem("traceide.status", vscode.StatusBarAlignment.Left, 10);
  status.name = "TraceIde";
  context.subscriptions.push(status);
  return (s: HostStatus) => {
    if (s.state === "running" && s.info) {
      const where = s.info.backendKind === "localStore" ? path.basename(s.info.backendLocation) : s.info.backendLocation;
      status.text = `$(pulse) TraceIde: ${where}${s.info.mlflowVersion ? ` · MLflow ${s.info.mlflowVersion}` : ""}`;
      status.tooltip =
        `${s.info.backendKind} ${s.info.backendLocation}\n${s.info.serverName} ${s.info.serverVersion} (protocol ${s.info.protocolVersion}), pid ` +
        `${s.pid}${s.restarts ? `, restarted ${s.restarts}×` : ""}\nClick to change the tracking server.`;
      status.command = "traceide.connect";
      status.backgroundColor = undefined;
    } else if (s.state === "starting") {
      status.text = `$(sync~spin) TraceIde: ${s.nextRetryMs ? `restarting in ${Math.round(s.nextRetryMs / 100) / 10} s` : "starting…"}`;
      status.tooltip = s.error ? redact(s.error) : "Starting the TraceIde host";
      status.command = "traceide.showLog";
      status.backgroundColor = undefined;
    } else if (s.state === "failed") {
      status.text = `$(error) TraceIde: not connected${s.nextRetryMs ? ` · retrying in ${Math.round(s.nextRetryMs / 1000)} s` : ""}`;
      status.tooltip = `${redact(s.error ?? "unknown error")}\nClick for fixes.`;
      status.command = "traceide.fix";
      status.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
    } else {
      status.text = "$(circle-slash) TraceIde: stopped";
      status.command = "traceide.restartHost";
    }
    status.show();
  };
}
