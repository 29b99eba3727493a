// Which view this page mounts as (the contract's PanelView): set by the IDE that opened it, kept by the page so
// that a window reload or a host restart shows the same trace, span, Overview tab and range again.
import { PanelViews, type PanelView } from "./protocol.generated";
import type { SettingsStore } from "./traces-logic";

/** The settings key the page keeps its view under (VS Code: webview state, which the panel serializer also reads). */
export const VIEW_KEY = "view";

const VIEWS: readonly string[] = Object.values(PanelViews);

/** A PanelView from untrusted JSON (an attribute, stored state), or null when it is not one. */
export function parsePanelView(value: unknown): PanelView | null {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!value || typeof value !== "object") return null;
  const v = value as Record<string, unknown>;
  if (typeof v.view !== "string" || !VIEWS.includes(v.view)) return null;
  const str = (k: string) => (typeof v[k] === "string" && v[k] ? (v[k] as string) : null);
  const view: PanelView = { view: v.view };
  for (const k of ["traceId", "spanId", "tab", "rangeKey"] as const) {
    const s = str(k);
    if (s) view[k] = s;
  }
  if (Array.isArray(v.experimentIds)) view.experimentIds = v.experimentIds.filter((x): x is string => typeof x === "string");
  if (view.view === PanelViews.trace && !view.traceId) return null;
  if (view.view === PanelViews.compare) {
    // Two different traces, A then B; anything else is not a comparison.
    const ids = Array.isArray(v.traceIds) ? v.traceIds.filter((x): x is string => typeof x === "string" && x !== "") : [];
    if (ids.length !== 2 || ids[0] === ids[1]) return null;
    view.traceIds = ids;
  }
  return view;
}

/**
 * The view to mount: what the page kept for the same panel (same view and trace) wins over what the IDE asked
 * for, which wins over the trace list. The kept one carries the selection the page had before a reload.
 */
export function initialPanelView(asked: unknown, settings: SettingsStore | undefined): PanelView {
  const requested = parsePanelView(asked) ?? { view: PanelViews.list };
  const kept = parsePanelView(settings?.get(VIEW_KEY));
  const sameTraces = (kept?.traceIds ?? []).join() === (requested.traceIds ?? []).join();
  if (kept && kept.view === requested.view && (kept.traceId ?? null) === (requested.traceId ?? null) && sameTraces) return { ...requested, ...kept };
  return requested;
}
