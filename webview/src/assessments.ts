// Writing assessments from the trace viewer (assessments/create, /update, /delete; MLflow server ≥ 3.2): the
// dialog that asks for one, and the rules MLflow applies to the list after a write, so the viewer shows what the
// server now holds without reading the trace again.
import type { Assessment, JsonValue } from "./protocol.generated";
import { h } from "./dom";
import { openDialog } from "./dialog";
import { RpcError } from "./transport";
import "./controls";

export type AssessmentKind = "feedback" | "expectation";

/** How the value is typed in: MLflow feedback is a bool, a number or a text; an expectation may also be JSON. */
export type ValueType = "bool" | "number" | "text" | "json";

export const VALUE_TYPES: { type: ValueType; label: string; kinds: AssessmentKind[] }[] = [
  { type: "bool", label: "Yes / No", kinds: ["feedback", "expectation"] },
  { type: "number", label: "Number", kinds: ["feedback", "expectation"] },
  { type: "text", label: "Text or category", kinds: ["feedback", "expectation"] },
  { type: "json", label: "JSON", kinds: ["expectation"] },
];

/** The value a user typed, as MLflow will store it, or why it is not one. */
export function parseAssessmentValue(type: ValueType, text: string): { value: JsonValue } | { error: string } {
  const t = text.trim();
  switch (type) {
    case "bool":
      if (t === "true" || t === "false") return { value: t === "true" };
      return { error: "Choose Yes or No." };
    case "number": {
      const n = Number(t);
      if (t === "" || !Number.isFinite(n)) return { error: `"${t}" is not a number.` };
      return { value: n };
    }
    case "text":
      return t ? { value: t } : { error: "Enter a value." };
    case "json":
      try {
        return { value: JSON.parse(t) as JsonValue };
      } catch (e) {
        return { error: `Not JSON: ${(e as Error).message}` };
      }
  }
}

/** The type an existing value is edited as, and its text in the value box. */
export function valueTypeOf(value: JsonValue | null | undefined): { type: ValueType; text: string } {
  if (typeof value === "boolean") return { type: "bool", text: String(value) };
  if (typeof value === "number") return { type: "number", text: String(value) };
  if (typeof value === "string") return { type: "text", text: value };
  if (value === null || value === undefined) return { type: "bool", text: "true" }; // a new one: yes/no, the commonest feedback
  return { type: "json", text: JSON.stringify(value, null, 2) };
}

/** A judge's (or code's) feedback a person may override: MLflow keeps it, marked not valid, beside theirs. */
export function canOverride(a: Assessment): boolean {
  return a.kind === "feedback" && a.valid && a.sourceType !== "HUMAN";
}

/**
 * What a person may edit in place: their own assessments and expectations. A judge's feedback is overridden
 * instead, so that what the judge said stays on record.
 */
export function canEdit(a: Assessment): boolean {
  return a.valid && (a.kind === "expectation" || a.sourceType === "HUMAN" || !a.sourceType);
}

/** The list after a create: the new one added and, for an override, the one it overrides marked not valid (MLflow's rule). */
export function withCreated(list: readonly Assessment[], created: Assessment): Assessment[] {
  return [...list.map((a) => (created.overrides && a.assessmentId === created.overrides ? { ...a, valid: false } : a)), created];
}

export function withUpdated(list: readonly Assessment[], updated: Assessment): Assessment[] {
  return list.map((a) => (a.assessmentId === updated.assessmentId ? updated : a));
}

/** The list after a delete: MLflow makes the assessment the deleted one overrode valid again. */
export function withDeleted(list: readonly Assessment[], assessmentId: string): Assessment[] {
  const gone = list.find((a) => a.assessmentId === assessmentId);
  return list.filter((a) => a.assessmentId !== assessmentId).map((a) => (gone?.overrides && a.assessmentId === gone.overrides ? { ...a, valid: true } : a));
}

/** What the dialog returns: everything assessments/create needs but the trace, span and override. */
export interface AssessmentDraft {
  name: string;
  kind: AssessmentKind;
  value: JsonValue;
  rationale: string;
  sourceId: string;
}

export interface AssessmentDialogOptions {
  title: string;
  confirm: string;
  /** Fixed for an edit or an override (MLflow keeps an assessment's name and kind). */
  name?: string;
  kind?: AssessmentKind;
  fixedNameAndKind?: boolean;
  value?: JsonValue | null;
  rationale?: string | null;
  /** Who writes it; hidden for an edit (MLflow keeps the source). */
  sourceId?: string | null;
  askSource?: boolean;
  /** Sends the draft; a rejection's message shows in the dialog, which stays open to fix it. */
  submit(draft: AssessmentDraft): Promise<void>;
}

/** The add / edit / override dialog. Resolves true once `submit` succeeded, false when cancelled. */
export function assessmentDialog(parent: HTMLElement, o: AssessmentDialogOptions): Promise<boolean> {
  const initial = valueTypeOf(o.value);
  const field = (label: string, control: HTMLElement, hint?: string) =>
    h(
      "label",
      { class: "assessment-field" },
      h("span", { class: "field-label" }, label),
      control,
      hint ? h("span", { class: "field-hint muted" }, hint) : null,
    );
  const name = h("input", {
    class: "assessment-name-input",
    type: "text",
    value: o.name ?? "",
    placeholder: "e.g. correctness, user_satisfaction",
    spellcheck: "false",
    disabled: o.fixedNameAndKind ?? false,
  });
  const kind = h(
    "select",
    { class: "assessment-kind", disabled: o.fixedNameAndKind ?? false },
    h("option", { value: "feedback" }, "Feedback"),
    h("option", { value: "expectation" }, "Expectation (ground truth)"),
  );
  kind.value = o.kind ?? "feedback";
  const type = h("select", { class: "assessment-type" });
  const boolValue = h("select", { class: "assessment-bool" }, h("option", { value: "true" }, "Yes (true)"), h("option", { value: "false" }, "No (false)"));
  const textValue = h("textarea", { class: "assessment-value-input", rows: "2", spellcheck: "false" });
  const rationale = h("textarea", { class: "assessment-rationale", rows: "3", placeholder: "Why (Markdown)" });
  rationale.value = o.rationale ?? "";
  const source = h("input", { class: "assessment-source-input", type: "text", value: o.sourceId ?? "", spellcheck: "false" });
  const paintTypes = () => {
    const k = kind.value as AssessmentKind;
    const keep = type.value || initial.type;
    type.replaceChildren(...VALUE_TYPES.filter((t) => t.kinds.includes(k)).map((t) => h("option", { value: t.type }, t.label)));
    type.value = VALUE_TYPES.some((t) => t.type === keep && t.kinds.includes(k)) ? keep : "bool";
    showValueBox();
  };
  const showValueBox = () => {
    const bool = type.value === "bool";
    boolValue.hidden = !bool;
    textValue.hidden = bool;
    textValue.placeholder = type.value === "number" ? "e.g. 4" : type.value === "json" ? '{"answer": "…"}' : "e.g. good, needs_work";
  };
  if (initial.type === "bool") boolValue.value = initial.text;
  else textValue.value = initial.text;
  type.value = initial.type;
  kind.addEventListener("change", paintTypes);
  type.addEventListener("change", showValueBox);
  const ok = h("vscode-button", { class: "assessment-save" }, o.confirm);
  const body: (HTMLElement | null)[] = [
    field("Name", name),
    field("Kind", kind),
    h("div", { class: "assessment-value-row" }, field("Value", type), boolValue, textValue),
    field("Rationale", rationale),
    o.askSource ? field("Source", source, "Recorded as a HUMAN source with this name.") : null,
  ];
  return new Promise((resolve) => {
    let done = false;
    const dialog = openDialog(
      parent,
      o.title,
      body.filter((x): x is HTMLElement => x !== null),
      [ok],
      () => resolve(done),
    );
    dialog.element.classList.add("assessment-dialog");
    paintTypes();
    const send = async () => {
      const parsed = parseAssessmentValue(type.value as ValueType, type.value === "bool" ? boolValue.value : textValue.value);
      if ("error" in parsed) return dialog.setError(parsed.error);
      if (!name.value.trim()) return dialog.setError("Enter a name.");
      if (o.askSource && !source.value.trim()) return dialog.setError("Say who writes it (Source).");
      dialog.setError(null);
      ok.disabled = true;
      try {
        await o.submit({
          name: name.value.trim(),
          kind: kind.value as AssessmentKind,
          value: parsed.value,
          rationale: rationale.value.trim(),
          sourceId: source.value.trim(),
        });
        done = true;
        dialog.close();
      } catch (err) {
        dialog.setError(RpcError.from(err).message); // the host's words, whatever shape the rejection has
      } finally {
        ok.disabled = false;
      }
    };
    ok.addEventListener("click", () => void send());
    dialog.element.addEventListener("keydown", (e) => {
      // Ctrl/Cmd+Enter saves from any field (Enter alone is a new line in the text boxes).
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void send();
      }
    });
    (o.fixedNameAndKind ? (type.value === "bool" ? boolValue : textValue) : name).focus();
  });
}
