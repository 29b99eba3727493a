import { afterEach, describe, expect, it } from "vitest";
import { SessionsView, sessionFilter, sessionsStatus, turnText } from "../src/sessions-view";
import type { SessionSummary, TraceSummary } from "../src/protocol.generated";
import { FakeTransport, summary, waitFor } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

const session = (id: string, turns: number, extra: Partial<SessionSummary> = {}): SessionSummary => ({
  sessionId: id,
  turns,
  firstTimeMs: 1_000,
  lastTimeMs: 2_000,
  errors: 0,
  inProgress: 0,
  totalTokens: 10,
  users: ["ann"],
  ...extra,
});

describe("sessions", () => {
  it("asks for a session's turns with MLflow's own filter, quotes escaped", () => {
    expect(sessionFilter("sess-budget")).toBe("metadata.`mlflow.trace.session` = 'sess-budget'");
    expect(sessionFilter("it's")).toBe("metadata.`mlflow.trace.session` = 'it\\'s'");
  });

  it("reads a turn's words out of chat, question and answer JSON, and leaves other text as it is", () => {
    expect(turnText('{"role": "assistant", "content": "On June 12 Paris should be partly cloudy."}')).toBe("On June 12 Paris should be partly cloudy.");
    expect(turnText('{"messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Weather in Lisbon?"}]}')).toBe("Weather in Lisbon?");
    expect(turnText('{"question": "Can I bring my cat?", "history": []}')).toBe("Can I bring my cat?");
    expect(turnText('{"answer": "Yes, in a carrier."}')).toBe("Yes, in a carrier.");
    expect(turnText('{"probe": "synthetic"}')).toBe('{"probe": "synthetic"}');
    expect(turnText('{"content": "cut sho')).toBe('{"content": "cut sho');
    expect(turnText("And order 77777?")).toBe("And order 77777?");
    expect(turnText(null)).toBe("");
  });

  it("says how many traces were read, and when only the newest were", () => {
    expect(sessionsStatus({ sessions: [session("a", 1)], tracesRead: 43, truncated: false })).toBe("1 session in 43 traces");
    expect(sessionsStatus({ sessions: [], tracesRead: 20000, truncated: true })).toContain("the newest 20,000 only");
  });

  it("lists the sessions, opens one as a transcript of its turns from the keyboard, and a turn opens its trace", async () => {
    const turns: TraceSummary[] = [
      summary(1, { requestPreview: "Hi", responsePreview: "Hello!", session: "s1" }),
      summary(2, { requestPreview: "Bye", state: "ERROR", responsePreview: null, session: "s1" }),
    ];
    const t = new FakeTransport({
      "sessions/list": () => ({ sessions: [session("s1", 2, { errors: 1, lastState: "ERROR" }), session("s2", 1)], tracesRead: 3, truncated: false }),
      "traces/search": () => ({ traces: turns }),
    });
    const opened: string[] = [];
    const view = new SessionsView(t, (trace) => opened.push(trace.traceId));
    document.body.appendChild(view.element);
    view.setExperiments(["1"]);
    view.show();
    await waitFor(() => view.element.querySelectorAll(".session-row").length === 2);
    const row = view.element.querySelector<HTMLElement>('.session-row[data-session-id="s1"]')!;
    expect(row.querySelector(".session-turns")!.textContent).toBe("2");
    row.focus();
    row.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await waitFor(() => view.element.querySelectorAll(".turn").length === 2);
    expect(t.calls.find((c) => c.method === "traces/search")!.params).toEqual({
      experimentIds: ["1"],
      filter: "metadata.`mlflow.trace.session` = 's1'",
      orderBy: ["timestamp ASC"],
      pageSize: 100,
    });
    const texts = [...view.element.querySelectorAll(".turn .turn-text")].map((e) => e.textContent);
    expect(texts).toEqual(["Hi", "Hello!", "Bye", "(no answer: the turn failed)"]);
    (view.element.querySelectorAll(".turn .open-turn")[1] as HTMLElement).click();
    expect(opened).toEqual([turns[1]!.traceId]);
    view.element.querySelector(".session-transcript")!.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect((view.element.querySelector(".sessions-list") as HTMLElement).hidden).toBe(false);
  });
});
