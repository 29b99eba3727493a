// The Sessions tab: the experiment's conversations (traces sharing `mlflow.trace.session`) over all its traces,
// from the host's sessions/list, and one session read as a transcript of its turns, each linking to its trace.
// The turns are asked for as MLflow's own client asks (search_sessions()): the session filter, oldest first.
import type { SessionSummary, SessionsListResult, TraceSummary } from "./protocol.generated";
import { RpcError, type Transport } from "./transport";
import { clear, h } from "./dom";
import "./controls";
import { durationWithWarning, formatNumber, formatTime } from "./format";
import { stateBadge } from "./traces-view";

/** The filter of one session's turns, in the form MLflow's search_sessions() sends it. */
export function sessionFilter(sessionId: string): string {
  return `metadata.\`mlflow.trace.session\` = '${sessionId.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** "5 sessions in 43 traces" and, when the host read only the newest traces, that it did. */
export function sessionsStatus(r: SessionsListResult): string {
  const n = r.sessions.length;
  const text = `${formatNumber(n)} session${n === 1 ? "" : "s"} in ${formatNumber(r.tracesRead)} trace${r.tracesRead === 1 ? "" : "s"}`;
  return r.truncated ? `${text} (the newest ${formatNumber(r.tracesRead)} only: narrow the range to see older ones)` : text;
}

const TURN_PAGE = 100;

/**
 * What a turn said, from a trace's request or response preview: the words of a chat message or a question/answer
 * field when the preview is such JSON (`{"role": "assistant", "content": …}`, `{"messages": […]}` — its last
 * message —, `{"question": …}`, `{"answer": …}`), else the preview as it is.
 */
export function turnText(preview: string | null | undefined): string {
  if (!preview) return "";
  let v: unknown;
  try {
    v = JSON.parse(preview);
  } catch {
    return preview; // plain text, or a preview cut short of valid JSON
  }
  const words = (o: unknown): string | null => {
    if (typeof o === "string") return o;
    if (!o || typeof o !== "object" || Array.isArray(o)) return null;
    const r = o as Record<string, unknown>;
    if (Array.isArray(r.messages) && r.messages.length) return words(r.messages[r.messages.length - 1]);
    for (const k of ["content", "question", "answer", "query", "input", "output", "text"]) if (typeof r[k] === "string") return r[k] as string;
    return null;
  };
  return words(v) ?? preview;
}

export class SessionsView {
  readonly element: HTMLElement;
  private readonly status: HTMLElement;
  private readonly list: HTMLElement;
  private readonly transcript: HTMLElement;
  private experimentIds: string[] = [];
  private loaded: SessionsListResult | null = null;
  private abort: AbortController | null = null;
  /** The session whose transcript is shown, or null for the list. */
  private openSession: SessionSummary | null = null;
  /** The turn whose trace was opened last: the keyboard comes back to it when the trace closes. */
  private lastOpened: string | null = null;

  constructor(
    private readonly transport: Transport,
    private readonly onOpenTrace: (trace: TraceSummary) => void,
  ) {
    this.status = h("span", { class: "muted sessions-status", role: "status" });
    this.list = h("div", { class: "sessions-list" });
    this.transcript = h("div", { class: "session-transcript", hidden: true });
    this.element = h(
      "section",
      { class: "sessions-view", hidden: true, "aria-label": "Sessions" },
      h("div", { class: "toolbar" }, this.status),
      this.list,
      this.transcript,
    );
  }

  setExperiments(ids: string[]): void {
    this.experimentIds = ids;
    this.loaded = null;
    this.closeTranscript();
    if (!this.element.hidden) void this.load();
  }

  show(): void {
    this.element.hidden = false;
    if (this.loaded === null) void this.load();
  }

  hide(): void {
    this.element.hidden = true;
  }

  async load(): Promise<void> {
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    if (this.experimentIds.length === 0) return;
    this.status.textContent = "Reading the experiment's traces for their sessions…";
    try {
      const r = await this.transport.request("sessions/list", { experimentIds: this.experimentIds }, abort.signal);
      if (abort.signal.aborted) return;
      this.loaded = r;
      this.status.textContent = sessionsStatus(r);
      this.paintList(r.sessions);
    } catch (err) {
      const e = RpcError.from(err);
      if (e.isCancelled) return;
      this.status.textContent = `Could not list the sessions: ${e.message}`;
      this.status.classList.add("error-text");
    }
  }

  private paintList(sessions: readonly SessionSummary[]): void {
    clear(this.list);
    if (sessions.length === 0) {
      this.list.appendChild(
        h(
          "p",
          { class: "muted" },
          "No sessions: no trace of this experiment has a session ID. MLflow groups traces into sessions by their mlflow.trace.session metadata " +
            '(mlflow.update_current_trace(metadata={"mlflow.trace.session": …})).',
        ),
      );
      return;
    }
    const rows = sessions.map((s) => {
      const row = h(
        "tr",
        { class: "session-row", tabindex: "0", "data-session-id": s.sessionId, title: `Open session ${s.sessionId} as a transcript (Enter)` },
        h(
          "td",
          { class: "session-id" },
          s.sessionId,
          s.firstRequestPreview ? h("div", { class: "muted session-opening" }, turnText(s.firstRequestPreview)) : null,
        ),
        h("td", { class: "num session-turns" }, String(s.turns)),
        h("td", { class: "session-time" }, formatTime(s.firstTimeMs)),
        h("td", { class: "session-time" }, formatTime(s.lastTimeMs)),
        h("td", { class: "num session-errors" }, s.errors ? h("span", { class: "badge badge-error" }, String(s.errors)) : "0"),
        h("td", { class: "num" }, formatNumber(s.totalTokens)),
        h("td", { class: "session-users" }, s.users.join(", ")),
      );
      row.addEventListener("click", () => void this.openTranscript(s));
      row.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          void this.openTranscript(s);
        } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          const next = (e.key === "ArrowDown" ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
          next?.focus();
        }
      });
      return row;
    });
    const head = h(
      "thead",
      {},
      h(
        "tr",
        {},
        ["Session", "Turns", "First turn", "Last turn", "Errors", "Tokens", "Users"].map((t) => h("th", {}, t)),
      ),
    );
    this.list.appendChild(h("table", { class: "sessions-table" }, head, h("tbody", {}, rows)));
  }

  /** One session as a conversation: its turns oldest first, each with what was asked and answered. */
  async openTranscript(s: SessionSummary): Promise<void> {
    this.openSession = s;
    this.list.hidden = true;
    this.transcript.hidden = false;
    const back = h("vscode-button", { secondary: true, class: "sessions-back", title: "Back to all sessions (Escape)" }, "← All sessions");
    back.addEventListener("click", () => this.closeTranscript());
    const turns = h("ol", { class: "turns" });
    clear(this.transcript);
    this.transcript.append(
      h(
        "div",
        { class: "transcript-head" },
        back,
        h("span", { class: "transcript-title" }, `Session ${s.sessionId}`),
        h("span", { class: "muted" }, ` · ${s.turns} turn${s.turns === 1 ? "" : "s"}${s.users.length ? ` · ${s.users.join(", ")}` : ""}`),
      ),
      turns,
    );
    this.transcript.onkeydown = (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        e.stopPropagation();
        this.closeTranscript();
      }
    };
    back.focus();
    try {
      const r = await this.transport.request("traces/search", {
        experimentIds: this.experimentIds,
        filter: sessionFilter(s.sessionId),
        orderBy: ["timestamp ASC"],
        pageSize: TURN_PAGE,
      });
      if (this.openSession !== s) return;
      r.traces.forEach((t, i) => turns.appendChild(this.renderTurn(t, i + 1)));
      if (r.nextPageToken)
        turns.appendChild(h("li", { class: "muted" }, `The first ${TURN_PAGE} turns are shown; filter the trace list by this session for the rest.`));
    } catch (err) {
      if (this.openSession !== s) return;
      turns.appendChild(h("li", { class: "error-text" }, `Could not read the session's turns: ${RpcError.from(err).message}`));
    }
  }

  private renderTurn(t: TraceSummary, n: number): HTMLElement {
    const open = h("vscode-button", { secondary: true, class: "open-turn", title: `Open trace ${t.traceId}` }, "Open trace");
    open.addEventListener("click", () => {
      this.lastOpened = t.traceId;
      this.onOpenTrace(t);
    });
    return h(
      "li",
      { class: "turn", "data-trace-id": t.traceId },
      h(
        "div",
        { class: "turn-head" },
        h("span", { class: "turn-number" }, `Turn ${n}`),
        " ",
        stateBadge(t.state),
        h("span", { class: "muted" }, ` ${formatTime(t.requestTimeMs)} · `),
        durationWithWarning(t.durationMs),
        t.user ? h("span", { class: "muted" }, ` · ${t.user}`) : null,
        open,
      ),
      h(
        "div",
        { class: "turn-message turn-user" },
        h("span", { class: "turn-role" }, "User"),
        h("div", { class: "turn-text", title: t.requestPreview ?? "" }, turnText(t.requestPreview)),
      ),
      h(
        "div",
        { class: "turn-message turn-assistant" },
        h("span", { class: "turn-role" }, "Assistant"),
        h(
          "div",
          { class: "turn-text", title: t.responsePreview ?? "" },
          t.responsePreview ? turnText(t.responsePreview) : t.state === "ERROR" ? "(no answer: the turn failed)" : "",
        ),
      ),
    );
  }

  closeTranscript(): void {
    const was = this.openSession;
    this.openSession = null;
    this.transcript.hidden = true;
    this.list.hidden = false;
    if (was) this.list.querySelector<HTMLElement>(`.session-row[data-session-id="${CSS.escape(was.sessionId)}"]`)?.focus();
  }

  /** Back from a trace: the keyboard on the turn it came from (or the list), so Escape and ↑/↓ work at once. */
  focus(): void {
    const turn = this.lastOpened ? this.transcript.querySelector<HTMLElement>(`.turn[data-trace-id="${CSS.escape(this.lastOpened)}"] .open-turn`) : null;
    (
      turn ?? (this.transcript.hidden ? this.list.querySelector<HTMLElement>(".session-row") : this.transcript.querySelector<HTMLElement>(".sessions-back"))
    )?.focus();
  }
}
