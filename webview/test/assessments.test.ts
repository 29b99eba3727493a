import { afterEach, describe, expect, it } from "vitest";
import { canOverride, parseAssessmentValue, valueTypeOf, withCreated, withDeleted, withUpdated } from "../src/assessments";
import { TraceViewer } from "../src/trace-viewer";
import type { Assessment } from "../src/protocol.generated";
import { FakeTransport, flush, span, summary, traceResult, waitFor } from "./fixtures";

afterEach(() => {
  document.body.textContent = "";
});

const judge: Assessment = {
  assessmentId: "a-judge",
  name: "helpfulness",
  kind: "feedback",
  value: 5,
  sourceType: "LLM_JUDGE",
  sourceId: "openai:/gpt-4o-mini",
  valid: true,
  metadata: {},
};
const human: Assessment = { ...judge, assessmentId: "a-human", value: 3, sourceType: "HUMAN", sourceId: "kim", overrides: "a-judge" };

describe("assessment values", () => {
  it("parse as MLflow stores them, and say what is wrong", () => {
    expect(parseAssessmentValue("bool", "false")).toEqual({ value: false });
    expect(parseAssessmentValue("number", " 4.5 ")).toEqual({ value: 4.5 });
    expect(parseAssessmentValue("number", "four")).toEqual({ error: '"four" is not a number.' });
    expect(parseAssessmentValue("number", "")).toHaveProperty("error");
    expect(parseAssessmentValue("number", "Infinity")).toHaveProperty("error"); // JSON has no Infinity
    expect(parseAssessmentValue("text", "  needs_work ")).toEqual({ value: "needs_work" });
    expect(parseAssessmentValue("text", "  ")).toEqual({ error: "Enter a value." });
    expect(parseAssessmentValue("json", '{"a": [1]}')).toEqual({ value: { a: [1] } });
    expect(parseAssessmentValue("json", "{a")).toHaveProperty("error");
  });

  it("an existing value is edited as its own type", () => {
    expect(valueTypeOf(true)).toEqual({ type: "bool", text: "true" });
    expect(valueTypeOf(3)).toEqual({ type: "number", text: "3" });
    expect(valueTypeOf("good")).toEqual({ type: "text", text: "good" });
    expect(valueTypeOf({ a: 1 }).type).toBe("json");
    expect(valueTypeOf(undefined)).toEqual({ type: "bool", text: "true" });
  });
});

describe("MLflow's override rules, applied to the shown list", () => {
  it("an override marks the judge's feedback not valid; deleting the override makes it valid again", () => {
    const after = withCreated([judge], human);
    expect(after.map((a) => [a.assessmentId, a.valid])).toEqual([
      ["a-judge", false],
      ["a-human", true],
    ]);
    expect(withDeleted(after, "a-human").map((a) => [a.assessmentId, a.valid])).toEqual([["a-judge", true]]);
    expect(withDeleted(after, "a-judge").map((a) => a.assessmentId)).toEqual(["a-human"]);
    expect(withUpdated(after, { ...human, value: 2 }).find((a) => a.assessmentId === "a-human")!.value).toBe(2);
  });

  it("only a valid judge's (not a person's) feedback can be overridden", () => {
    expect(canOverride(judge)).toBe(true);
    expect(canOverride({ ...judge, valid: false })).toBe(false);
    expect(canOverride(human)).toBe(false);
    expect(canOverride({ ...judge, kind: "expectation" })).toBe(false);
  });
});

describe("writing assessments in the trace viewer", () => {
  const spans = [span("r", null, 0, 0, 100), span("a", "r", 1, 10, 50, { name: "llm" })];
  const mine: Assessment = { ...judge, assessmentId: "a-mine", name: "tone", value: "friendly", sourceType: "HUMAN", sourceId: "nina@example.com" };
  const open = (t: FakeTransport, capabilities: { editAssessments: boolean }, backendKind = "mlflowServer", assessments = [judge]) => {
    const viewer = new TraceViewer(t);
    document.body.appendChild(viewer.element);
    viewer.setWritable({ backendKind, capabilities, userName: "nina@example.com" });
    viewer.show(traceResult(spans, { info: summary(1, { durationMs: 100 }), assessments }));
    return viewer;
  };
  const button = (root: ParentNode, cls: string) => root.querySelector(`.${cls}`) as HTMLElement & { disabled: boolean };

  it("a read-only local store keeps every write action off and says why, before any dialog", () => {
    const viewer = open(new FakeTransport({}), { editAssessments: false }, "localStore");
    expect(button(viewer.element, "add-feedback").disabled).toBe(true);
    expect(viewer.element.querySelector(".assessment-override, .assessment-edit, .assessment-delete")).toBeNull(); // no dead links
    expect(viewer.element.querySelector(".assessment-readonly")!.textContent).toContain("local store cannot be changed");
  });

  it("adds feedback to the trace as the session's user, and the list hears of it", async () => {
    const t = new FakeTransport({
      "assessments/create": (p) => ({
        assessment: { ...judge, assessmentId: "a-new", name: p.name, value: p.value, sourceType: "HUMAN", sourceId: p.sourceId, rationale: p.rationale },
      }),
    });
    const viewer = open(t, { editAssessments: true });
    const told: Assessment[][] = [];
    viewer.onAssessmentsChanged = (_, list) => told.push(list);
    button(viewer.element, "add-feedback").click();
    const dialog = document.querySelector(".assessment-dialog") as HTMLElement;
    expect((dialog.querySelector(".assessment-source-input") as HTMLInputElement).value).toBe("nina@example.com");
    (dialog.querySelector(".assessment-name-input") as HTMLInputElement).value = "user_satisfaction";
    (dialog.querySelector(".assessment-rationale") as HTMLTextAreaElement).value = "Quick and accurate.";
    (dialog.querySelector(".assessment-save") as HTMLElement).click();
    await waitFor(() => !document.querySelector(".assessment-dialog"));
    expect(t.calls.find((c) => c.method === "assessments/create")!.params).toEqual({
      traceId: summary(1).traceId,
      spanId: null,
      name: "user_satisfaction",
      kind: "feedback",
      value: true,
      rationale: "Quick and accurate.",
      sourceId: "nina@example.com",
    });
    expect([...viewer.element.querySelectorAll(".assessments tr[data-assessment-id]")].map((r) => (r as HTMLElement).dataset.assessmentId)).toEqual([
      "a-judge",
      "a-new",
    ]);
    expect(told.at(-1)!.map((a) => a.assessmentId)).toEqual(["a-judge", "a-new"]);
  });

  it("an override is sent with the judge's ID and the judge's row shows as overridden; a refusal stays in the dialog", async () => {
    let refuse = true;
    const t = new FakeTransport({
      "assessments/create": (p) => {
        if (refuse) throw new Error("Assessment with ID 'a-judge' not found");
        return { assessment: { ...human, value: p.value } };
      },
    });
    const viewer = open(t, { editAssessments: true });
    button(viewer.element, "assessment-override").click();
    const dialog = document.querySelector(".assessment-dialog") as HTMLElement;
    expect((dialog.querySelector(".assessment-name-input") as HTMLInputElement).disabled).toBe(true);
    (dialog.querySelector(".assessment-value-input") as HTMLTextAreaElement).value = "3";
    (dialog.querySelector(".assessment-save") as HTMLElement).click();
    await waitFor(() => !(dialog.querySelector(".dialog-error") as HTMLElement).hidden);
    expect(dialog.querySelector(".dialog-error")!.textContent).toContain("not found");
    refuse = false;
    (dialog.querySelector(".assessment-save") as HTMLElement).click();
    await waitFor(() => !document.querySelector(".assessment-dialog"));
    expect(t.calls.filter((c) => c.method === "assessments/create").at(-1)!.params).toMatchObject({
      overrides: "a-judge",
      value: 3,
      name: "helpfulness",
      kind: "feedback",
    });
    expect(viewer.element.querySelector('tr[data-assessment-id="a-judge"]')!.classList.contains("overridden")).toBe(true);
  });

  it("a judge's feedback is overridden, not edited; a person's own is edited", () => {
    const viewer = open(new FakeTransport({}), { editAssessments: true }, "mlflowServer", [judge, mine]);
    const actions = (id: string) => [...viewer.element.querySelectorAll(`tr[data-assessment-id="${id}"] .assessment-actions button`)].map((b) => b.textContent);
    expect(actions("a-judge")).toEqual(["Override", "Delete"]);
    expect(actions("a-mine")).toEqual(["Edit", "Delete"]);
  });

  it("an edit sends only what changed; an unchanged edit sends nothing", async () => {
    const t = new FakeTransport({ "assessments/update": (p) => ({ assessment: { ...mine, rationale: p.rationale } }) });
    const viewer = open(t, { editAssessments: true }, "mlflowServer", [mine]);
    button(viewer.element, "assessment-edit").click();
    let dialog = document.querySelector(".assessment-dialog") as HTMLElement;
    (dialog.querySelector(".assessment-save") as HTMLElement).click();
    await waitFor(() => !document.querySelector(".assessment-dialog"));
    expect(t.calls.some((c) => c.method === "assessments/update")).toBe(false);

    button(viewer.element, "assessment-edit").click();
    dialog = document.querySelector(".assessment-dialog") as HTMLElement;
    (dialog.querySelector(".assessment-rationale") as HTMLTextAreaElement).value = "Fair.";
    (dialog.querySelector(".assessment-save") as HTMLElement).click();
    await waitFor(() => !document.querySelector(".assessment-dialog"));
    expect(t.calls.find((c) => c.method === "assessments/update")!.params).toEqual({
      traceId: summary(1).traceId,
      assessmentId: "a-mine",
      kind: "feedback",
      value: null,
      rationale: "Fair.",
    });
    await flush();
  });
});
