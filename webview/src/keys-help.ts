// The `?` overlay: every key the page answers, by view. Kept as data beside the handlers' owners so that a new
// key is one line here (and the help test fails when a listed view is missing).
import { h } from "./dom";
import { openDialog } from "./dialog";

export const KEYS: readonly { view: string; keys: readonly [string, string][] }[] = [
  {
    view: "Trace list",
    keys: [
      ["↑ ↓", "move the cursor"],
      ["Home End", "first, last trace"],
      ["PageUp PageDown", "a page up, down"],
      ["Enter", "open the trace (or fold a session group)"],
      ["Space", "check the trace (Shift: a range)"],
      ["Delete", "delete the checked traces, or the one under the cursor (asks first)"],
      ["/", "search"],
    ],
  },
  {
    view: "Trace",
    keys: [
      ["↑ ↓", "move between spans"],
      ["← →", "fold, unfold a span"],
      ["Home End", "first, last span"],
      ["/", "find a span"],
      ["Enter", "open the span's code (in an IDE)"],
      ["n p", "next, previous trace of the list"],
      ["+ −", "zoom the timeline in, out"],
      ["Shift+← →", "pan the timeline"],
      ["0", "the whole trace on the timeline"],
      ["z", "zoom the timeline to the selected span"],
      ["Ctrl+wheel", "zoom at the pointer (a plain wheel on the axis)"],
      ["Escape", "back to the list"],
    ],
  },
  {
    view: "Compare",
    keys: [
      ["c", "compare the open trace with another (in the viewer)"],
      ["↑ ↓", "move between aligned spans"],
      ["→ Enter", "unfold a span (Enter folds it again)"],
      ["←", "fold, or go to the parent"],
      ["Home End", "first, last span"],
      ["s", "swap the two sides"],
      ["d", "differences only"],
      ["Escape", "back to where the compare was opened"],
    ],
  },
  {
    view: "Sessions",
    keys: [
      ["↑ ↓", "move between sessions"],
      ["Enter", "read the session's turns"],
      ["Escape", "back to all sessions"],
    ],
  },
  {
    view: "Dialogs",
    keys: [
      ["Tab", "next field or button"],
      ["Ctrl+Enter", "save (assessments)"],
      ["Escape", "cancel"],
    ],
  },
  { view: "Anywhere", keys: [["?", "this list"]] },
];

/** Opens the key list over `parent` (a modal dialog: Escape or Cancel closes it, focus goes back). */
export function openKeysHelp(parent: HTMLElement): void {
  const sections = KEYS.map(({ view, keys }) =>
    h(
      "section",
      { class: "keys-section" },
      h("h3", {}, view),
      h(
        "table",
        { class: "keys-table" },
        h(
          "tbody",
          {},
          keys.map(([key, what]) => h("tr", {}, h("td", {}, h("kbd", {}, key)), h("td", {}, what))),
        ),
      ),
    ),
  );
  const d = openDialog(parent, "Keyboard", [h("div", { class: "keys-help" }, sections)], []);
  d.element.classList.add("keys-dialog");
}
