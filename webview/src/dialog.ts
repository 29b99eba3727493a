// A small modal dialog (no <dialog>: it behaves the same in every webview and in happy-dom).
import { h } from "./dom";
import type { VscodeButton } from "./controls";

export interface DialogHandle {
  element: HTMLElement;
  body: HTMLElement;
  error: HTMLElement;
  close(): void;
  setError(text: string | null): void;
}

/**
 * Opens a modal dialog over `parent`: it takes the focus and keeps it (the page behind is inert, and focus that
 * still wanders out comes back), Escape anywhere or the Cancel button closes it, and the focus goes back to
 * where it was.
 */
export function openDialog(parent: HTMLElement, title: string, body: (HTMLElement | string)[], buttons: VscodeButton[], onClose?: () => void): DialogHandle {
  const error = h("div", { class: "dialog-error", role: "alert", hidden: true });
  const bodyEl = h("div", { class: "dialog-body" }, body);
  const cancel = h("vscode-button", { secondary: true, class: "dialog-cancel" }, "Cancel");
  const box = h(
    "div",
    { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title, tabindex: "-1" },
    h("div", { class: "dialog-title" }, title),
    bodyEl,
    error,
    h("div", { class: "dialog-buttons" }, buttons, cancel),
  );
  const backdrop = h("div", { class: "dialog-backdrop" }, box);
  const previous = document.activeElement as HTMLElement | null;
  const behind = Array.from(parent.children).filter((c): c is HTMLElement => c instanceof HTMLElement);
  const wasInert = behind.map((el) => el.inert);
  const onKey = (e: KeyboardEvent) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    e.stopPropagation();
    handle.close();
  };
  const onFocusIn = (e: FocusEvent) => {
    if (!box.contains(e.target as Node)) box.focus();
  };
  let closed = false;
  const handle: DialogHandle = {
    element: box,
    body: bodyEl,
    error,
    close() {
      if (closed) return;
      closed = true;
      document.removeEventListener("keydown", onKey, true);
      document.removeEventListener("focusin", onFocusIn);
      behind.forEach((el, i) => (el.inert = wasInert[i]!));
      backdrop.remove();
      previous?.focus?.();
      onClose?.();
    },
    setError(text) {
      error.textContent = text ?? "";
      error.hidden = text === null;
    },
  };
  cancel.addEventListener("click", () => handle.close());
  document.addEventListener("keydown", onKey, true);
  document.addEventListener("focusin", onFocusIn);
  behind.forEach((el) => (el.inert = true));
  parent.appendChild(backdrop);
  (buttons[0] ?? cancel).focus();
  if (!box.contains(document.activeElement)) box.focus(); // a custom element that took no focus: the dialog itself
  return handle;
}

/** Resolves true when the user confirms, false on Cancel/Escape. */
export function confirmDialog(parent: HTMLElement, title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const ok = h("vscode-button", { class: "dialog-confirm danger" }, confirmLabel);
    const d = openDialog(parent, title, [h("p", {}, message)], [ok], () => {
      if (!answered) resolve(false);
    });
    ok.addEventListener("click", () => {
      answered = true;
      d.close();
      resolve(true);
    });
  });
}
