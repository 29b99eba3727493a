// Trace panel boot (extension-owned, loaded after the web UI's main.js): the relay narrows the list to
// this panel's trace; open it as soon as its row appears. Stopgap until the web UI has a "single trace" mode.
(() => {
  const id = document.body.dataset.traceId;
  if (!id) return;
  let done = false;
  const observer = new MutationObserver(() => tryOpen());
  function tryOpen() {
    if (done) return;
    const row = Array.from(document.querySelectorAll(".trace-row")).find((r) => r.getAttribute("data-trace-id") === id);
    if (!row) return;
    done = true;
    observer.disconnect();
    row.click();
  }
  observer.observe(document.body, { childList: true, subtree: true });
  tryOpen();
})();
