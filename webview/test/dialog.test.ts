// The modal dialog (Delete…, Tags…): it takes the focus, keeps it, closes on Escape from anywhere, and gives
// the focus back.
import { afterEach, describe, expect, it } from "vitest";
import { confirmDialog, openDialog } from "../src/dialog";

afterEach(() => {
  document.body.replaceChildren();
});

function page() {
  const parent = document.createElement("section");
  const row = document.createElement("button");
  row.textContent = "a row behind";
  parent.appendChild(row);
  document.body.appendChild(parent);
  return { parent, row };
}

describe("dialog", () => {
  it("takes the focus when it opens and gives it back when Escape, pressed anywhere, closes it", async () => {
    const { parent, row } = page();
    row.focus();
    let closed = 0;
    const d = openDialog(parent, "Tags of tr-1", ["body"], [], () => closed++);
    expect(d.element.contains(document.activeElement)).toBe(true);
    expect(row.inert).toBe(true); // Tab cannot reach the rows behind
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(closed).toBe(1);
    expect(parent.querySelector(".dialog")).toBeNull();
    expect(row.inert).toBe(false);
    expect(document.activeElement).toBe(row);
  });

  it("pulls back focus that wandered out while it is open", () => {
    const { parent } = page();
    const outside = document.createElement("input");
    document.body.appendChild(outside);
    const d = openDialog(parent, "Delete?", ["sure?"], []);
    outside.focus();
    expect(d.element.contains(document.activeElement)).toBe(true);
    d.close();
    outside.focus();
    expect(document.activeElement).toBe(outside); // closed: no more pulling
  });

  it("confirmDialog: Escape answers no", async () => {
    const { parent } = page();
    const answer = confirmDialog(parent, "Delete 2 traces?", "It cannot be undone.", "Delete");
    document.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(await answer).toBe(false);
  });
});
