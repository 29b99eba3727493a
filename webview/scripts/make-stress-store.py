#!/usr/bin/env python3
"""Copies the fixture MLflow store and adds traces for e2e-stress.mjs (the original is never written):

  * `stress_20k`  — 20,000 spans, a tree 4 levels deep with wide fan-out (1 → 25 → 625 → 19,349 leaves);
                    the last span in tree order is named `leaf-last`.
  * `big_payload` — a span (`big_output`) whose outputs are 5 MiB of JSON (a 4 MiB string and 11,000 rows), and a
                    320,000-character attribute.
  * `cycle_shapes`— a span that is its own parent, two spans that are each other's parent, a span whose parent is
                    missing, one that ends 100 ms before it starts, and a chain 300 spans deep.
  * `xss_probe`   — payloads (`<img onerror>`, `<script>`, `[x](javascript:…)`, `<svg onload>`) in the root
                    span's outputs, a span name, an attribute, an exception message, a tag value, the
                    request/response previews and an assessment rationale; and a judge with a long name,
                    source and rationale.

Rows follow MLflow 3.x's schema exactly like the fixture's own: `spans.content` is the span JSON in
traces.json format (ids base64, attribute values JSON-encoded strings).

usage: make-stress-store.py <fixture mlflow.db> <output mlflow.db>
"""
import base64
import json
import shutil
import sqlite3
import sys

SRC, DST = sys.argv[1], sys.argv[2]
shutil.copyfile(SRC, DST)
db = sqlite3.connect(DST)
EXP = 1
BASE_NS = 1795200000000000000  # 2026-11-19, after the fixture's traces: the new traces list first

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    "[x](javascript:window.__xss=1)",
    "<svg onload=window.__xss=1>",
]
ALL = " ".join(PAYLOADS)


def b64(hexid):
    return base64.b64encode(bytes.fromhex(hexid)).decode()


def span_json(trace_hex, rid, sid, parent, name, stype, start, end, inputs=None, outputs=None, status="OK",
              extra_attrs=None, events=None, status_message=""):
    attrs = {
        "mlflow.traceRequestId": json.dumps(rid),
        "mlflow.spanStartTimeNs": str(start),
        "mlflow.spanType": json.dumps(stype),
    }
    if parent is None:
        attrs["mlflow.experimentId"] = json.dumps(str(EXP))
    if inputs is not None:
        attrs["mlflow.spanInputs"] = json.dumps(inputs)
    if outputs is not None:
        attrs["mlflow.spanOutputs"] = json.dumps(outputs)
    for k, v in (extra_attrs or {}).items():
        attrs[k] = json.dumps(v)
    return json.dumps({
        "trace_id": b64(trace_hex),
        "span_id": b64(sid),
        "parent_span_id": b64(parent) if parent else None,
        "name": name,
        "start_time_unix_nano": start,
        "end_time_unix_nano": end,
        "events": events or [],
        "status": {"code": "STATUS_CODE_ERROR" if status == "ERROR" else "STATUS_CODE_OK", "message": status_message},
        "attributes": attrs,
    })


def span_row(trace_hex, rid, sid, parent, name, stype, start, end, status="OK", **span):
    """A row of the spans table: its columns, and the span JSON MLflow stores in `content`."""
    return (sid, parent, name, stype, status, start, end,
            span_json(trace_hex, rid, sid, parent, name, stype, start, end, status=status, **span))


def add_trace(trace_hex, name, start_ns, end_ns, status, request_preview, response_preview, tags, spans,
              n_spans, exp=EXP, extra_meta=None):
    rid = f"tr-{trace_hex}"
    db.execute(
        "INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,"
        " request_preview, response_preview) VALUES (?,?,?,?,?,?,?,?)",
        (rid, exp, start_ns // 1_000_000, (end_ns - start_ns) // 1_000_000, status, None, request_preview,
         response_preview))
    all_tags = {
        "mlflow.traceName": name,
        "mlflow.trace.spansLocation": "TRACKING_STORE",
        "mlflow.artifactLocation": f"/srv/mlflow/artifacts/{exp}/traces/{rid}/artifacts",
        "environment": "stress",
        **tags,
    }
    db.executemany("INSERT INTO trace_tags (key, value, request_id) VALUES (?,?,?)",
                   [(k, v, rid) for k, v in all_tags.items()])
    meta = {
        "mlflow.trace_schema.version": "3",
        "mlflow.traceInputs": request_preview,
        "mlflow.traceOutputs": response_preview,
        "mlflow.source.name": "make-stress-store.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.user": "e2e",
        # As MLflow records it: the size of the trace's JSON (its spans' documents in one list) and the span count.
        "mlflow.trace.sizeStats": json.dumps({
            "total_size_bytes": len(('{"spans": [' + ", ".join(s[-1] for s in spans) + "]}").encode()),
            "num_spans": n_spans}),
        **(extra_meta or {}),
    }
    db.executemany("INSERT INTO trace_request_metadata (key, value, request_id) VALUES (?,?,?)",
                   [(k, v, rid) for k, v in meta.items()])
    db.executemany(
        "INSERT INTO spans (trace_id, experiment_id, span_id, parent_span_id, name, type, status,"
        " start_time_unix_nano, end_time_unix_nano, content) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [(rid, exp, *s) for s in spans])
    return rid


# ---- 20,000 spans ------------------------------------------------------------------------------------------
TOTAL = 20_000
L1, L2 = 25, 25
trace_hex = "5e" * 16
rid = f"tr-{trace_hex}"
counter = [0]


def new_id():
    counter[0] += 1
    return f"{counter[0]:016x}"


rows = []
start0 = BASE_NS
end0 = BASE_NS + 60_000_000_000  # 60 s
root = new_id()
rows.append(span_row(trace_hex, rid, root, None, "stress_20k", "CHAIN", start0, end0,
                     inputs={"job": "stress", "spans": TOTAL}, outputs={"ok": True}))
leaves = TOTAL - 1 - L1 - L1 * L2
per_l2 = [leaves // (L1 * L2) + (1 if i < leaves % (L1 * L2) else 0) for i in range(L1 * L2)]
slot1 = (end0 - start0) // L1
k = 0
for i in range(L1):
    s1 = start0 + i * slot1
    e1 = s1 + slot1 - 1000
    a = new_id()
    rows.append(span_row(trace_hex, rid, a, root, f"stage-{i}", "CHAIN", s1, e1, inputs={"stage": i}))
    slot2 = (e1 - s1) // L2
    for j in range(L2):
        s2 = s1 + j * slot2
        e2 = s2 + slot2 - 1000
        b = new_id()
        rows.append(span_row(trace_hex, rid, b, a, f"batch-{i}-{j}", "RETRIEVER", s2, e2, inputs={"batch": j}))
        n = per_l2[k]
        k += 1
        slot3 = (e2 - s2) // n
        for m in range(n):
            s3 = s2 + m * slot3
            e3 = s3 + slot3 - 500
            c = new_id()
            last = i == L1 - 1 and j == L2 - 1 and m == n - 1
            name = "leaf-last" if last else f"leaf-{i}-{j}-{m}"
            stype = "LLM" if m % 7 == 0 else "TOOL"
            rows.append(span_row(trace_hex, rid, c, b, name, stype, s3, e3, inputs={"item": m},
                                 outputs={"result": f"item {m} done"}))
assert len(rows) == TOTAL, len(rows)
add_trace(trace_hex, "stress_20k", start0, end0, "OK", json.dumps({"job": "stress", "spans": TOTAL}),
          json.dumps({"ok": True}), {"fixture_case": "stress-20k"}, rows, TOTAL)

# ---- XSS probe ---------------------------------------------------------------------------------------------
x_hex = "7a" * 16
xrid = f"tr-{x_hex}"
xs = BASE_NS - 10_000_000_000
xe = xs + 3_000_000_000
xroot, xname, xerr = "00000000000a0001", "00000000000a0002", "00000000000a0003"
root_outputs = {"answer": "# Report\n\n" + "\n\n".join(PAYLOADS), "html": ALL}
xrows = [
    span_row(x_hex, xrid, xroot, None, "xss_probe", "AGENT", xs, xe,
             inputs={"question": ALL}, outputs=root_outputs, extra_attrs={"probe.attr": ALL}),
    span_row(x_hex, xrid, xname, xroot, PAYLOADS[0], "TOOL", xs + 100, xs + 1_000_000_000,
             inputs={"q": PAYLOADS[3]}, outputs=PAYLOADS[2] + " " + PAYLOADS[1],
             extra_attrs={"probe.attr": PAYLOADS[3], "probe.markdown": PAYLOADS[2]}),
    span_row(x_hex, xrid, xerr, xroot, "failing_tool", "TOOL", xs + 1_000_000_100, xs + 2_000_000_000,
             inputs={"q": "x"}, status="ERROR", status_message="ProbeError: " + ALL,
             events=[{"name": "exception", "time_unix_nano": xs + 2_000_000_000, "attributes": {
                 "exception.type": "ProbeError", "exception.message": ALL,
                 "exception.stacktrace": "Traceback (most recent call last):\n  File \"probe.py\", line 1, in x\nProbeError: " + ALL,
                 "exception.escaped": "False"}}]),
]
add_trace(x_hex, "xss_probe", xs, xe, "OK", json.dumps({"question": ALL}), json.dumps(root_outputs),
          {"fixture_case": "xss-probe", "probe": ALL}, xrows, len(xrows))
db.execute(
    "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp,"
    " last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, overrides, valid,"
    " assessment_metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    ("a-" + "7a" * 16, xrid, "probe_judge", "feedback", json.dumps("yes"), None, xs // 1_000_000, xs // 1_000_000,
     "LLM_JUDGE", "openai:/gpt-4o-mini", None, None, "Rationale: " + "\n\n".join(PAYLOADS), None, 1, "{}"))
# A judge with a long name and source and a long rationale (the viewer keeps the name and source on one line).
LONG_RATIONALE = " ".join(["The answer cites the catalogue entry for the product but quotes a price that the"
                           " retrieved document does not contain, so it is only partly grounded."] * 8)
db.execute(
    "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp,"
    " last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, overrides, valid,"
    " assessment_metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    ("a-" + "7b" * 16, xrid, "retrieval_groundedness_against_the_product_catalogue", "feedback", json.dumps("partly"),
     None, xs // 1_000_000, xs // 1_000_000, "HUMAN", "quality.reviewer.with.a.long.address@example.com", None, None,
     LONG_RATIONALE, None, 1, "{}"))

# ---- a 5 MiB output -----------------------------------------------------------------------------------------
# The span `big_output` returns a 4 MiB report (one string, many lines) and 1 MiB of rows: the viewer must show a
# preview of it without blocking the page.
g_hex = "b1" * 16
grid = f"tr-{g_hex}"
gs = BASE_NS - 20_000_000_000
ge = gs + 2_000_000_000
report_line = "The quarterly report line with enough words to wrap in a narrow detail pane, number {:07d}.\n"
report, n_line = [], 0
while sum(map(len, report)) < 4 * 1024 * 1024:
    report.append(report_line.format(n_line))
    n_line += 1
big_rows = [{"id": i, "city": f"city-{i % 97}", "temperature": i % 40, "note": "x" * 40} for i in range(11_000)]
big_outputs = {"report": "".join(report), "rows": big_rows}
big_attr = "attribute value " * 20_000  # 320,000 characters
grows = [
    span_row(g_hex, grid, "00000000000b0001", None, "big_payload", "AGENT", gs, ge, inputs={"q": "report"},
             outputs={"ok": True}),
    span_row(g_hex, grid, "00000000000b0002", "00000000000b0001", "big_output", "TOOL", gs + 1_000, ge - 1_000,
             inputs={"q": "report"}, outputs=big_outputs, extra_attrs={"probe.big_attribute": big_attr}),
    span_row(g_hex, grid, "00000000000b0003", "00000000000b0001", "small_after", "TOOL", ge - 900, ge - 100,
             inputs={"q": "small"}, outputs={"answer": "small"}),
]
add_trace(g_hex, "big_payload", gs, ge, "OK", json.dumps({"q": "report"}), json.dumps({"ok": True}),
          {"fixture_case": "big-payload"}, grows, len(grows))
big_chars = len(json.dumps(big_outputs))

# ---- bad shapes: a parent cycle, a self-parent, a missing parent, depth 300, a negative duration -------------
# As OTLP exporters can send them. The host places every detached span under the root (with a warning); the viewer
# must show all of them, each flagged, and a depth-300 name must still be readable.
c_hex = "c7" * 16
crid = f"tr-{c_hex}"
cs = BASE_NS - 30_000_000_000
ce = cs + 1_000_000_000
croot, cself, ca, cb, corphan, cneg = ("00000000000c0001", "00000000000c0002", "00000000000c0003",
                                       "00000000000c0004", "00000000000c0005", "00000000000c0006")
crows = [
    span_row(c_hex, crid, croot, None, "cycle_shapes", "AGENT", cs, ce),
    span_row(c_hex, crid, cself, cself, "own_parent", "TOOL", cs + 10_000_000, cs + 20_000_000),
    span_row(c_hex, crid, ca, cb, "cycle_a", "TOOL", cs + 30_000_000, cs + 40_000_000),
    span_row(c_hex, crid, cb, ca, "cycle_b", "TOOL", cs + 50_000_000, cs + 60_000_000),
    span_row(c_hex, crid, corphan, "00000000000cffff", "lost_parent", "TOOL", cs + 70_000_000, cs + 80_000_000),
    # Clock skew: ends 100 ms before it starts.
    span_row(c_hex, crid, cneg, croot, "skewed_clock", "TOOL", cs + 200_000_000, cs + 100_000_000),
]
prev = croot
DEEP = 300
for d in range(1, DEEP + 1):
    sid = f"{0xd000000 + d:016x}"
    name = f"deep_span_at_depth_{d}" if d < DEEP else "deepest_span_at_depth_300"
    crows.append(span_row(c_hex, crid, sid, prev, name, "CHAIN", cs + 300_000_000 + d * 1_000,
                          ce - 1_000 - d * 1_000))
    prev = sid
add_trace(c_hex, "cycle_shapes", cs, ce, "OK", json.dumps({"q": "shapes"}), json.dumps({"ok": True}),
          {"fixture_case": "cycle-shapes"}, crows, len(crows))

# ---- 10,000 traces in their own experiment -----------------------------------------------------------------
LIST_EXP, LIST_TRACES = 2, 10_000
db.execute("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time,"
           " last_update_time, workspace) VALUES (?,?,?,?,?,?,?)",
           (LIST_EXP, "stress-10k", f"/srv/mlflow/artifacts/{LIST_EXP}", "active", BASE_NS // 1_000_000,
            BASE_NS // 1_000_000, "default"))
db.execute("INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?,?,?)",
           ("mlflow.experimentKind", "genai_development", LIST_EXP))
for n in range(LIST_TRACES):
    t_hex = f"{0x10000000 + n:032x}"
    t_rid = f"tr-{t_hex}"
    s = BASE_NS - (LIST_TRACES - n) * 1_000_000_000
    e = s + (50 + n % 400) * 1_000_000
    status = "ERROR" if n % 13 == 0 else "OK"
    question = {"question": f"question {n}: what is the weather in city {n % 97}?"}
    answer = {"answer": f"answer {n}"}
    usage = {"input_tokens": 100 + n % 50, "output_tokens": 20 + n % 10, "total_tokens": 120 + n % 50 + n % 10}
    span = span_row(t_hex, t_rid, f"{n + 1:016x}", None, f"list_{n % 5}", "AGENT", s, e, status=status,
                    inputs=question, outputs=answer)
    add_trace(t_hex, f"list_{n % 5}", s, e, status, json.dumps(question), json.dumps(answer), {}, [span], 1,
              exp=LIST_EXP, extra_meta={"mlflow.trace.tokenUsage": json.dumps(usage),
                                        "mlflow.trace.session": f"session-{n // 10}",
                                        "mlflow.trace.user": f"user-{n % 7}"})
db.commit()
db.close()
print(f"wrote {DST}: {TOTAL}-span trace {rid}, XSS trace {xrid}, a {big_chars:,}-character output in {grid},"
      f" bad tree shapes (cycles, orphan, depth {DEEP}, negative duration) in {crid},"
      f" {LIST_TRACES} traces in experiment stress-10k")
