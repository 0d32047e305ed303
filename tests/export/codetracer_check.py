#!/usr/bin/python3
"""Checks a codetracer export directory against the runtime_tracing JSON
specification (docs/trace_json_spec.md of metacraft-labs/runtime_tracing,
and its TraceLowLevelEvent type for the thread events) and prints facts
about it as KEY=VALUE lines for the tests to compare with the sample's
source. Exit status 1, with the reason on stderr, when the export does not
follow the specification.

  codetracer_check.py DIR [FUNCTION]

Facts: events, paths, functions, threads, steps, calls (Call events),
balanced (yes: Call and Return pair up on every thread), fn_calls (Call
events of FUNCTION), and fn_lines: the distinct sequences of lines FUNCTION's
calls stepped through themselves, each with how many calls did so ("C" where
the call made a call), as SEQ:COUNT separated by spaces."""
import json
import os
import sys
from collections import Counter

# The ValueRecord variants and their fields (the specification's "Value
# Records"); the exporter only writes None, the others are accepted.
VALUE_FIELDS = {
    "Int": {"i": int, "type_id": int}, "Float": {"f": (int, float, str), "type_id": int},
    "Bool": {"b": bool, "type_id": int}, "String": {"text": str, "type_id": int},
    "Raw": {"r": str, "type_id": int}, "Error": {"msg": str, "type_id": int},
    "None": {"type_id": int},
}


def fail(msg):
    print(f"codetracer_check: {msg}", file=sys.stderr)
    sys.exit(1)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def fields(name, obj, spec):
    """obj is a dict with exactly the fields of spec, of their types."""
    if not isinstance(obj, dict) or set(obj) != set(spec):
        fail(f"{name}: fields {sorted(obj) if isinstance(obj, dict) else obj!r}, "
             f"expected {sorted(spec)}")
    for k, t in spec.items():
        ok = is_int(obj[k]) if t is int else isinstance(obj[k], t)
        if not ok:
            fail(f"{name}.{k}: {obj[k]!r} is not {t}")


def main():
    d = sys.argv[1]
    fn_name = sys.argv[2] if len(sys.argv) > 2 else None
    with open(os.path.join(d, "trace.json"), encoding="utf-8") as f:
        events = json.load(f)
    with open(os.path.join(d, "trace_paths.json"), encoding="utf-8") as f:
        listed = json.load(f)
    with open(os.path.join(d, "trace_metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    fields("trace_metadata", meta, {"workdir": str, "program": str, "args": list})
    if not all(isinstance(a, str) for a in meta["args"]):
        fail("trace_metadata.args: not all strings")
    if not isinstance(events, list) or not isinstance(listed, list):
        fail("trace.json and trace_paths.json must be JSON arrays")

    paths, functions, types = [], [], 0
    threads = {}  # id -> "started" | "exited"
    cur = None
    # Per thread: the stack of open calls, each [function id, its own lines].
    stacks = {}
    steps = calls = 0
    fn_seqs = Counter()
    prev_step_frame = None  # the frame the previous event (a Step) went to
    for n, ev in enumerate(events):
        where = f"event {n}"
        if isinstance(ev, str):
            kind, val = ev, None  # a unit variant (DropLastStep)
        elif isinstance(ev, dict) and len(ev) == 1:
            kind, val = next(iter(ev.items()))
        else:
            fail(f"{where}: not a one-key object: {ev!r}")
        step_frame = None
        if kind == "Path":
            if not isinstance(val, str):
                fail(f"{where}: Path is not a string")
            paths.append(val)
        elif kind == "Type":
            fields(f"{where} Type", val, {"kind": int, "lang_type": str, "specific_info": dict})
            if not 0 <= val["kind"] <= 33:
                fail(f"{where}: TypeKind {val['kind']} out of range")
            if val["specific_info"] != {"kind": "None"}:
                fail(f"{where}: specific_info {val['specific_info']!r}")
            types += 1
        elif kind == "Function":
            fields(f"{where} Function", val, {"path_id": int, "line": int, "name": str})
            if not 0 <= val["path_id"] < len(paths):
                fail(f"{where}: Function path_id {val['path_id']} not defined before")
            if val["line"] < 0:
                fail(f"{where}: negative line")
            functions.append(val["name"])
        elif kind in ("ThreadStart", "ThreadSwitch", "ThreadExit"):
            if not is_int(val) or val < 0:
                fail(f"{where}: {kind} takes a thread id (a number)")
            if kind == "ThreadStart":
                if val in threads:
                    fail(f"{where}: thread {val} started twice")
                threads[val] = "started"
                stacks[val] = []
            elif threads.get(val) != "started":
                fail(f"{where}: {kind} of thread {val}, which is not running")
            if kind == "ThreadSwitch":
                cur = val
            if kind == "ThreadExit":
                if stacks[val]:
                    fail(f"{where}: thread {val} exits with {len(stacks[val])} calls open")
                threads[val] = "exited"
        elif kind in ("Step", "Call", "Return"):
            if cur is None or threads.get(cur) != "started":
                fail(f"{where}: {kind} outside a running thread")
            st = stacks[cur]
            if kind == "Step":
                fields(f"{where} Step", val, {"path_id": int, "line": int})
                if not 0 <= val["path_id"] < len(paths):
                    fail(f"{where}: Step path_id {val['path_id']} not defined before")
                steps += 1
                if st:
                    st[-1][1].append(val["line"])
                    step_frame = st[-1]
            elif kind == "Call":
                fields(f"{where} Call", val, {"function_id": int, "args": list})
                if not 0 <= val["function_id"] < len(functions):
                    fail(f"{where}: Call function_id {val['function_id']} not defined before")
                calls += 1
                frame = [val["function_id"], []]
                # The Step just before a Call is the callee's first (as
                # runtime_tracing's own tracer writes them).
                if prev_step_frame is not None and st and prev_step_frame is st[-1]:
                    frame[1].append(st[-1][1].pop())
                if st:
                    st[-1][1].append("C")
                st.append(frame)
            else:
                fields(f"{where} Return", val, {"return_value": dict})
                rv = val["return_value"]
                spec = VALUE_FIELDS.get(rv.get("kind"))
                if spec is None:
                    fail(f"{where}: return_value kind {rv.get('kind')!r}")
                fields(f"{where} return_value", {k: v for k, v in rv.items() if k != "kind"}, spec)
                if not 0 <= rv["type_id"] < types:
                    fail(f"{where}: type_id {rv['type_id']} not defined before")
                if not st:
                    fail(f"{where}: Return without a Call on thread {cur}")
                fid, lines = st.pop()
                if fn_name is not None and functions[fid] == fn_name:
                    fn_seqs[",".join(map(str, lines))] += 1
        else:
            fail(f"{where}: unknown event {kind!r}")
        prev_step_frame = step_frame
    if listed != paths:
        fail("trace_paths.json is not the list of Path events in order")
    open_calls = sum(len(s) for s in stacks.values())
    print(f"events={len(events)}")
    print(f"paths={len(paths)}")
    print(f"functions={len(functions)}")
    print(f"threads={len(threads)}")
    print(f"exited={sum(1 for s in threads.values() if s == 'exited')}")
    print(f"steps={steps}")
    print(f"calls={calls}")
    print(f"balanced={'yes' if open_calls == 0 else 'no'}")
    if fn_name is not None:
        ids = {i for i, name in enumerate(functions) if name == fn_name}
        n_fn = sum(1 for ev in events if isinstance(ev, dict) and "Call" in ev
                   and ev["Call"]["function_id"] in ids)
        print(f"fn_calls={n_fn}")
        print("fn_lines=" + " ".join(f"{s}:{c}" for s, c in sorted(fn_seqs.items())))


main()
