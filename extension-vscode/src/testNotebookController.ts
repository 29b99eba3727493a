// TEST ONLY (created when TRACEIDE_SELFTEST_OUT is set, as the e2e does): a notebook controller for
// .ipynb files that needs no Jupyter. A cell whose source holds `traceide-test-window <startMs> <endMs>`
// "executes" with exactly that start and end time, so VS Code records the execution timing of fixture
// traces and the run-traces feature can be tested end to end with any kernel's API path.
import * as vscode from "vscode";

export const TEST_CONTROLLER_ID = "traceide-test-kernel";
const WINDOW = /traceide-test-window\s+(\d+)\s+(\d+)/;

export function registerTestNotebookController(context: vscode.ExtensionContext): void {
  const controller = vscode.notebooks.createNotebookController(TEST_CONTROLLER_ID, "jupyter-notebook", "TraceIde test kernel");
  controller.supportedLanguages = ["python", "plaintext", "markdown"];
  controller.supportsExecutionOrder = true;
  let order = 0;
  controller.executeHandler = async (cells) => {
    for (const cell of cells) {
      const exec = controller.createNotebookCellExecution(cell);
      exec.executionOrder = ++order;
      const m = WINDOW.exec(cell.document.getText());
      const start = m ? Number(m[1]) : Date.now();
      exec.start(start);
      await new Promise((r) => setTimeout(r, 300)); // "running": the live tail has a moment to subscribe
      await exec.replaceOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.text(m ? `ran over [${m[1]}, ${m[2]}]` : "ran")]));
      exec.end(true, m ? Number(m[2]) : Date.now());
    }
  };
  const prefer = (nb: vscode.NotebookDocument) => {
    if (nb.notebookType === "jupyter-notebook") controller.updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
  };
  vscode.workspace.notebookDocuments.forEach(prefer);
  context.subscriptions.push(controller, vscode.workspace.onDidOpenNotebookDocument(prefer));
}
