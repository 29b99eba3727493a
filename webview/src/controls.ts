// The VS Code look for controls: @vscode-elements/elements (Lit web components that read VS Code's
// theme variables). Importing this module registers the ones the UI uses; each view that creates them
// imports it, so registration never depends on the entry point.
//
// Used: vscode-button (every action and toggle button), vscode-button-group (the state filter),
// vscode-textfield (the tag editor). Kept native, on purpose:
// - the search boxes (<input>): the filter completion reads and moves the caret (selectionStart);
// - <select>: native keyboard type-ahead and accessibility, themed with VS Code's dropdown variables;
// - row checkboxes and the column menu's (<input type=checkbox>): a 10,000-row list must not create a
//   shadow root per row, and one checkbox look per list;
// - tab strips (role=tab buttons), JSON "show more" and table sort headers: links and headers, not buttons.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-button-group/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";

export type { VscodeButton } from "@vscode-elements/elements/dist/vscode-button/vscode-button.js";

/** A toggle button: pressed is the primary look, unpressed the secondary one; aria-pressed for readers. */
export function setPressed(button: HTMLElement & { secondary: boolean }, pressed: boolean): void {
  button.setAttribute("aria-pressed", String(pressed));
  button.secondary = !pressed;
}
