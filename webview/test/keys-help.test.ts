import { afterEach, describe, expect, it } from "vitest";
import { App } from "../src/app";
import { KEYS } from "../src/keys-help";
import { FakeTransport } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

describe("the ? key list", () => {
  it("opens from anywhere but a text box, lists every view's keys, and Escape closes it", async () => {
    const app = new App(
      new FakeTransport({
        "session/info": () => ({ serverName: "traceide", serverVersion: "1", protocolVersion: "1.7", backendKind: "localStore", backendLocation: "x" }),
        "experiments/list": () => ({ experiments: [] }),
      }),
    );
    document.body.appendChild(app.element);
    await app.start();
    const search = app.element.querySelector("input.search") as HTMLInputElement;
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "?", bubbles: true }));
    expect(document.querySelector(".keys-dialog")).toBeNull(); // typing a ? in the search box
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "?", bubbles: true }));
    const dialog = document.querySelector(".keys-dialog")!;
    expect([...dialog.querySelectorAll("h3")].map((e) => e.textContent)).toEqual(KEYS.map((k) => k.view));
    expect(dialog.textContent).toContain("delete the checked traces");
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(document.querySelector(".keys-dialog")).toBeNull();
  });
});

describe("Delete in the trace list", () => {
  it("asks to delete the trace under the cursor when none is checked, where the backend can delete", async () => {
    const { TracesView } = await import("../src/traces-view");
    const { summary, waitFor } = await import("./fixtures");
    const t = new FakeTransport({ "traces/search": () => ({ traces: [summary(1), summary(2)] }) });
    const view = new TracesView(t, () => {}, 50);
    document.body.appendChild(view.element);
    view.setWritable({ deleteTraces: true, editTags: true });
    view.setExperiments(["1"]);
    await waitFor(() => view.rows.length === 2);
    const scroller = view.element.querySelector(".trace-scroller") as HTMLElement;
    scroller.focus();
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
    const underCursor = view.element.querySelector<HTMLElement>(".trace-row.cursor")!.dataset.traceId!;
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "Delete", bubbles: true }));
    const dialog = document.querySelector(".dialog") as HTMLElement;
    expect(dialog.getAttribute("aria-label")).toBe("Delete 1 trace?");
    expect(dialog.textContent).toContain(underCursor);
    expect(t.calls.some((c) => c.method === "traces/delete")).toBe(false); // asked, not done

    view.setWritable({ deleteTraces: false, editTags: false });
    (dialog.querySelector(".dialog-cancel") as HTMLElement).click();
    scroller.dispatchEvent(new KeyboardEvent("keydown", { key: "Delete", bubbles: true }));
    expect(document.querySelector(".dialog")).toBeNull(); // a read-only store: nothing to ask
  });
});
