import { describe, expect, it } from "vitest";
import { renderJson } from "../src/json-tree";

describe("renderJson", () => {
  it("renders primitives with their type classes", () => {
    const el = renderJson({ s: "hi", n: 3, b: true, z: null });
    expect(el.querySelector(".json-string")?.textContent).toBe('"hi"');
    expect(el.querySelector(".json-number")?.textContent).toBe("3");
    expect(el.querySelector(".json-boolean")?.textContent).toBe("true");
    expect(el.querySelector(".json-null")?.textContent).toBe("null");
    expect([...el.querySelectorAll(".json-key")].map((k) => k.textContent)).toEqual(["s: ", "n: ", "b: ", "z: "]);
  });
  it("summarises objects and arrays and opens the first levels only", () => {
    const el = renderJson({ a: { b: { c: { d: 1 } } }, list: [1, 2, 3] }, { openDepth: 2 });
    const nodes = [...el.querySelectorAll("details")] as HTMLDetailsElement[];
    expect(nodes[0]!.querySelector("summary")!.textContent).toBe("{2 keys}");
    expect(nodes[0]!.open).toBe(true);
    expect(el.textContent).toContain("[3 items]");
    // depth-2 node ("b") is collapsed and its children are not built yet.
    const b = nodes.find((d) => d.querySelector("summary")!.textContent === "b: {1 key}")!;
    expect(b.open).toBe(false);
    expect(b.querySelector(".json-children")!.childElementCount).toBe(0);
    b.open = true;
    b.dispatchEvent(new Event("toggle"));
    expect(b.querySelector(".json-children")!.textContent).toContain("c: {1 key}");
  });
  it("pages large arrays behind a show-more button", () => {
    const el = renderJson(
      Array.from({ length: 450 }, (_, i) => i),
      { pageSize: 200 },
    );
    const children = el.querySelector(".json-children")!;
    expect(children.querySelectorAll(".json-leaf").length).toBe(200);
    (children.querySelector(".json-more") as HTMLButtonElement).click();
    expect(children.querySelectorAll(".json-leaf").length).toBe(400);
  });
  it("empty containers and undefined", () => {
    expect(renderJson({}).textContent).toBe("{}");
    expect(renderJson([]).textContent).toBe("[]");
    expect(renderJson(undefined).textContent).toBe("(none)");
  });
});
