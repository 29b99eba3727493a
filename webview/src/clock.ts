// "Now" as the host sees it. Every "recent" in the UI and the IDE extensions (quick time filters, Overview
// ranges, CodeLens windows) is measured from the host's one clock (InitializeResult.nowMs), so a test that
// starts the host with TRACEIDE_NOW sees the same "last 7 days" everywhere, whatever today's date is.

export class HostClock {
  private offsetMs = 0;

  constructor(private readonly local: () => number = Date.now) {}

  /** Adopts the host's clock from an `initialize` / `session/info` answer; a host before protocol 1.4 sends none, and the local clock stands. */
  sync(hostNowMs: number | null | undefined): void {
    this.offsetMs = typeof hostNowMs === "number" && Number.isFinite(hostNowMs) ? hostNowMs - this.local() : 0;
  }

  /** The host's now, in ms since the Unix epoch, moving at the local clock's pace. */
  readonly now = (): number => this.local() + this.offsetMs;
}
