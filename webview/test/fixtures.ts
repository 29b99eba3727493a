import type { Span, TraceSummary, TracesGetResult } from "../src/protocol.generated";
import type { Method, ParamsOf, ResultOf, Transport } from "../src/transport";
import { RpcError } from "../src/transport";

export const XSS_IMG = '<img src=x onerror="window.__xss=1">';
export const XSS_SCRIPT = "<script>window.__xss=1</script>";

export function summary(i: number, extra: Partial<TraceSummary> = {}): TraceSummary {
  return {
    traceId: `tr-${String(i).padStart(4, "0")}`,
    experimentId: "1",
    name: `trace ${i}`,
    state: i % 5 === 0 ? "ERROR" : "OK",
    requestTimeMs: 1_700_000_000_000 - i * 1000,
    durationMs: 100 + i,
    requestPreview: `question ${i}`,
    responsePreview: `answer ${i}`,
    tags: {},
    metadata: {},
    assessments: [],
    ...extra,
  };
}

export function span(id: string, parent: string | null, depth: number, startMs: number, durationMs: number, extra: Partial<Span> = {}): Span {
  return {
    spanId: id,
    parentSpanId: parent,
    name: `span-${id}`,
    spanType: "CHAIN",
    status: "OK",
    startMs,
    durationMs,
    depth,
    selfTimeMs: 0,
    onCriticalPath: false,
    childCount: 0,
    orphaned: false,
    ...extra,
  };
}

export function traceResult(spans: Span[], extra: Partial<TracesGetResult> = {}): TracesGetResult {
  return { info: summary(1), spans, totalSpans: spans.length, assessments: [], payloadsIncluded: true, warnings: [], ...extra };
}

type Handler = (params: any, signal?: AbortSignal) => unknown;

/** A transport answering from handlers; records calls. */
export class FakeTransport implements Transport {
  calls: { method: string; params: any }[] = [];
  constructor(public handlers: Partial<Record<Method, Handler>>) {}
  async request<M extends Method>(method: M, params: ParamsOf<M>, signal?: AbortSignal): Promise<ResultOf<M>> {
    this.calls.push({ method, params });
    const handler = this.handlers[method];
    if (!handler) throw new RpcError(-32601, `no handler for ${method}`);
    return (await handler(params, signal)) as ResultOf<M>;
  }
  dispose() {}
}

export const flush = () => new Promise((r) => setTimeout(r, 0));

/** Polls until `cond` holds (fails after `timeoutMs`): a repaint's or a request's time depends on the machine's load. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves after `n` animation frames: a virtual list paints its overscan on the frame after a scroll. */
export function frames(n = 2): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number) => (left === 0 ? resolve() : requestAnimationFrame(() => step(left - 1)));
    step(n);
  });
}
