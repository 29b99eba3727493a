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

/** Opens a dialog over `parent`; Escape or the Cancel button closes it. */
export function openDialog(parent: HTMLElement, title: string, body: (HTMLElement | string)[], buttons: VscodeButton[], onClose?: () => void): DialogHandle {
  const error = h("div", { class: "dialog-error", role: "alert", hidden: true });
  const bodyEl = h("div", { class: "dialog-body" }, body);
  const cancel = h("vscode-button", { secondary: true, class: "dialog-cancel" }, "Cancel");
  const box = h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title }, h("div", { class: "dialog-title" }, title), bodyEl, error, h("div", { class: "dialog-buttons" }, buttons, cancel));
  const backdrop = h("div", { class: "dialog-backdrop" }, box);
  const previous = document.activeElement as HTMLElement | null;
  const handle: DialogHandle = {
    element: box,
    body: bodyEl,
    error,
    close() {
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
  backdrop.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      handle.close();
    }
  });
  parent.appendChild(backdrop);
  (buttons[0] ?? cancel).focus();
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
