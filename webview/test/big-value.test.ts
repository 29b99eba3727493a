import { describe, expect, it, vi } from "vitest";
import { fileNameFor, isLongerThan, sizeText, textPreview, TEXT_CHUNK_CHARS, TEXT_PREVIEW_CHARS, valueSize } from "../src/big-value";
import { LEAF_PREVIEW_CHARS, renderJson } from "../src/json-tree";
import { renderSpanDetail, renderValue } from "../src/trace-viewer";
import type { JsonValue } from "../src/protocol.generated";
import { span } from "./fixtures";

const long = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");

describe("textPreview", () => {
  it("shows a short text whole, with no button", () => {
    const el = textPreview("short text");
    expect(el.textContent).toBe("short text");
    expect(el.querySelector("button")).toBeNull();
  });

  it("shows the first characters of a long text, then adds a chunk per click until the whole text is there", () => {
    const text = long(TEXT_PREVIEW_CHARS + TEXT_CHUNK_CHARS + 10);
    const el = textPreview(text);
    const body = el.querySelector(".text-preview")!;
    expect(body.textContent).toBe(text.slice(0, TEXT_PREVIEW_CHARS));
    const more = el.querySelector<HTMLButtonElement>(".show-more")!;
    expect(more.textContent).toContain(`of ${text.length.toLocaleString("en-US")} characters shown`);
    more.click();
    expect(body.textContent).toBe(text.slice(0, TEXT_PREVIEW_CHARS + TEXT_CHUNK_CHARS));
    expect(more.textContent).toMatch(/^Show 10 more/);
    more.click();
    expect(body.textContent).toBe(text);
    expect(el.querySelector(".show-more")).toBeNull();
  });

  it("shows a text only a quarter longer than the preview whole", () => {
    expect(textPreview(long(125), { initial: 100 }).querySelector(".show-more")).toBeNull();
    expect(textPreview(long(126), { initial: 100 }).querySelector(".show-more")).not.toBeNull();
  });

  it("keeps hostile text as text", () => {
    const el = textPreview('<img src=x onerror="window.__xss=1">'.repeat(200), { initial: 50 });
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toContain("<img src=x");
  });
});

describe("valueSize", () => {
  it("is the compact JSON length, exact without strings, about with them (escapes not counted)", () => {
    const numbers: JsonValue = { a: [1, 2.5, -3, true, null], b: { c: [], d: {} } };
    expect(valueSize(numbers)).toEqual({ chars: JSON.stringify(numbers).length, exact: true, complete: true });
    const withText: JsonValue = { text: "plain words", rows: [{ id: 1, name: "x" }] };
    expect(valueSize(withText)).toEqual({ chars: JSON.stringify(withText).length, exact: false, complete: true });
    expect(sizeText(withText)).toBe(`about ${JSON.stringify(withText).length} characters`);
    expect(sizeText(long(5_400_000))).toBe("5.40 M characters");
  });

  it("counts numbers as JSON writes them", () => {
    const numbers: JsonValue = [0, 7, -7, 10, 99, 100, -1000, 123456789, 1.5, -0.25, 1e21, 2 ** 53];
    expect(valueSize(numbers).chars).toBe(JSON.stringify(numbers).length);
  });

  it("isLongerThan answers without walking all of a big value, and agrees with the size", () => {
    const small: JsonValue = { a: [1, 2, 3], b: "text" };
    const n = JSON.stringify(small).length;
    expect(isLongerThan(small, n - 1)).toBe(true);
    expect(isLongerThan(small, n)).toBe(false);
    expect(isLongerThan({ big: long(100_000), rest: Array.from({ length: 100_000 }, (_, i) => i) }, 64 * 1024)).toBe(true);
  });

  it("stops walking a value with very many nodes and says it is at least that big", () => {
    const many: JsonValue = Array.from({ length: 1_200_000 }, () => 0);
    const size = valueSize(many);
    expect(size.complete).toBe(false);
    expect(size.chars).toBeLessThan(JSON.stringify(many).length);
    expect(sizeText(many)).toMatch(/^over /);
  });
});

describe("big values in the detail pane", () => {
  const report = long(5 * 1024 * 1024);
  const outputs: JsonValue = { report, rows: Array.from({ length: 5000 }, (_, i) => ({ id: i })) };

  it("a 5 MiB string in a JSON tree is a preview of its first characters", () => {
    const el = renderJson(outputs, { openDepth: 1 });
    const leaf = el.querySelector(".json-string")!;
    expect(leaf.textContent!.length).toBe(LEAF_PREVIEW_CHARS);
    expect(el.textContent!.length).toBeLessThan(LEAF_PREVIEW_CHARS + 1000);
    // The 5,000 rows are one collapsed node until opened.
    expect(el.querySelectorAll(".json-children .json-children *").length).toBe(0);
  });

  it("states the size, copies and saves the whole value", async () => {
    const copy = vi.fn();
    const save = vi.fn();
    const el = renderValue(outputs, undefined, { part: "outputs", spanName: "big <output>", actions: { copy, open: { label: "Save", run: save } } });
    // Measured after the paint, in slices: the selection's own task does not walk 5 MiB.
    const sizeEl = el.querySelector(".value-size")!;
    expect(sizeEl.textContent).toBe("measuring size…");
    await vi.waitFor(() => expect(sizeEl.textContent).toMatch(/^about 5\.\d\d M characters$/));
    expect(sizeEl.textContent).toBe(sizeText(outputs));
    el.querySelector<HTMLButtonElement>(".value-copy")!.click();
    expect(JSON.parse(copy.mock.calls[0]![0])).toEqual(outputs);
    expect(copy.mock.calls[0]![1]).toBe("outputs");
    const saveButton = el.querySelector<HTMLButtonElement>(".value-open")!;
    expect(saveButton.textContent).toBe("Save");
    saveButton.click();
    expect(save.mock.calls[0]![1]).toBe("big_output-outputs.json");
    expect(JSON.parse(save.mock.calls[0]![0])).toEqual(outputs);
  });

  it("offers no Open without a way to open, and copies a string as it is", () => {
    const copy = vi.fn();
    const el = renderValue(report, undefined, { part: "inputs", spanName: "s", actions: { copy } });
    expect(el.querySelector(".value-open")).toBeNull();
    el.querySelector<HTMLButtonElement>(".value-copy")!.click();
    expect(copy.mock.calls[0]![0]).toBe(report);
    expect(el.textContent!.length).toBeLessThan(TEXT_PREVIEW_CHARS + 500);
  });

  it("a span with 5 MiB in its inputs, outputs, attributes, events and status lays out a few KB", () => {
    const s = span("big", null, 0, 0, 10, { statusMessage: report, status: "ERROR" });
    const el = renderSpanDetail(
      s,
      {
        inputs: report,
        outputs,
        attributes: { "big.attr": report, "nested.attr": { report } },
        events: [{ name: "exception", timeMs: 0, attributes: { "exception.type": "E", "exception.message": report, "exception.stacktrace": report } }],
      },
      [],
      { startMs: 0, totalMs: 10 },
      null,
      { actions: { copy: () => {} } },
    );
    expect(el.textContent!.length).toBeLessThan(40_000);
  });
});

describe("fileNameFor", () => {
  it("keeps letters, digits, dot, dash and underscore, and names the kind of value", () => {
    expect(fileNameFor("../../etc/passwd <x>", "outputs", {})).toBe("etc_passwd_x-outputs.json");
    expect(fileNameFor("llm.call", "inputs", "text")).toBe("llm.call-inputs.txt");
    expect(fileNameFor("<>", "attributes", {})).toBe("attributes.json");
  });
});
