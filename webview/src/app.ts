// The application shell: header (connection, experiment picker, refresh), traces view, trace viewer.
import type { Experiment, InitializeResult } from "./protocol.generated";
import { METHOD_NOT_FOUND, RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import { TracesView } from "./traces-view";
import { TraceViewer } from "./trace-viewer";

/** GenAI experiments first, then by name; the default is the first. */
export function sortExperiments(experiments: Experiment[]): Experiment[] {
  return [...experiments].sort((a, b) => Number(b.isGenAi) - Number(a.isGenAi) || a.name.localeCompare(b.name));
}

export function connectionText(info: InitializeResult): string {
  const kind = info.backendKind === "localStore" ? "Local store" : info.backendKind === "mlflowServer" ? "MLflow server" : info.backendKind;
  return [kind, info.backendLocation, info.mlflowVersion ? `MLflow ${info.mlflowVersion}` : null].filter(Boolean).join(" · ");
}

export interface AppOptions {
  pageSize?: number;
}

export class App {
  readonly element: HTMLElement;
  private readonly connection: HTMLElement;
  private readonly experimentSelect: HTMLSelectElement;
  private readonly banner: HTMLElement;
  readonly traces: TracesView;
  readonly viewer: TraceViewer;

  constructor(
    private readonly transport: Transport,
    options: AppOptions = {},
  ) {
    this.connection = h("span", { class: "connection muted", title: "Connecting…" }, "Connecting…");
    this.experimentSelect = h("select", { class: "experiment", "aria-label": "Experiment", disabled: true });
    this.experimentSelect.addEventListener("change", () => this.traces.setExperiments([this.experimentSelect.value]));
    const refresh = h("button", { type: "button", class: "refresh", title: "Reload experiments and traces" }, "Refresh");
    refresh.addEventListener("click", () => void this.refresh());
    this.banner = h("div", { class: "banner", role: "alert", hidden: true });

    this.viewer = new TraceViewer(transport);
    this.traces = new TracesView(
      transport,
      (t) => {
        this.traces.element.hidden = true;
        void this.viewer.open(t);
      },
      options.pageSize ?? 100,
    );
    this.viewer.onClose = () => {
      this.traces.element.hidden = false;
      this.traces.setSelected(null);
    };

    this.element = h(
      "div",
      { class: "app" },
      h("header", { class: "app-header" }, h("span", { class: "brand" }, "TraceIde"), this.connection, h("span", { class: "spacer" }), h("label", { class: "muted" }, "Experiment ", this.experimentSelect), refresh),
      this.banner,
      h("main", { class: "app-main" }, this.traces.element, this.viewer.element),
    );
  }

  /** Escape closes the viewer even when focus is outside it (on the page body). */
  private readonly onDocumentKey = (e: KeyboardEvent) => {
    if (e.key === "Escape" && !e.defaultPrevented && this.viewer.isOpen) {
      e.preventDefault();
      this.viewer.close();
    }
  };

  async start(): Promise<void> {
    document.addEventListener("keydown", this.onDocumentKey);
    void this.loadSessionInfo();
    await this.loadExperiments();
  }

  async refresh(): Promise<void> {
    const current = this.experimentSelect.value;
    await this.loadExperiments(current);
  }

  private showBanner(text: string | null): void {
    this.banner.textContent = text ?? "";
    this.banner.hidden = text === null;
  }

  private async loadSessionInfo(): Promise<void> {
    try {
      const info = await this.transport.request("session/info", null);
      const text = connectionText(info);
      this.connection.textContent = text;
      this.connection.title = `${text}\n${info.serverName} ${info.serverVersion}, protocol ${info.protocolVersion}`;
    } catch (err) {
      const e = RpcError.from(err);
      this.connection.textContent = e.code === METHOD_NOT_FOUND ? "Connected" : "Not connected";
      this.connection.title = e.message;
    }
  }

  private async loadExperiments(keep?: string): Promise<void> {
    try {
      const result = await this.transport.request("experiments/list", {});
      const experiments = sortExperiments(result.experiments);
      clear(this.experimentSelect);
      for (const x of experiments) {
        this.experimentSelect.appendChild(h("option", { value: x.experimentId }, `${x.name}${x.isGenAi ? "" : " (not GenAI)"}`));
      }
      this.experimentSelect.disabled = experiments.length === 0;
      this.showBanner(null);
      if (experiments.length === 0) {
        this.showBanner("No experiments found. Log a trace with MLflow (mlflow.set_experiment + @mlflow.trace), then press Refresh.");
        this.traces.setExperiments([]);
        return;
      }
      const chosen = experiments.find((x) => x.experimentId === keep) ?? experiments[0]!;
      this.experimentSelect.value = chosen.experimentId;
      this.traces.setExperiments([chosen.experimentId]);
    } catch (err) {
      const e = RpcError.from(err);
      this.showBanner(`Could not list experiments: ${e.message} — check the tracking server or store, then press Refresh.`);
    }
  }
}
