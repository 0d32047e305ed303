#!/usr/bin/python3
"""chrome_check.py FILE [FUNCTION]: facts about a Chrome trace-event JSON
export, one "key=value" per line, for export.sh to compare.

Fails (exit 1, a message) if FILE is not valid JSON of the object form
{"traceEvents": [...]} or an event lacks a field a viewer needs. Prints:
  x_events      complete ("X") events
  processes     process_name metadata events
  threads       thread_name metadata events
  tids          distinct (pid, tid) of the X events
  nested        "yes" if on every thread each X event lies inside the
                one open around it (what the Perfetto UI needs to draw a
                call stack), else "no" and the first offender
  fn_calls, fn_ts_sum, fn_dur_sum   X events named FUNCTION, sums of ts, dur
  fn_per_thread FUNCTION's X events per thread, threads in sort_index order
"""
import json
import sys
from collections import Counter, defaultdict


def main():
    path = sys.argv[1]
    fn = sys.argv[2] if len(sys.argv) > 2 else None
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print("chrome_check: %s: not valid JSON: %s" % (path, e))
        return 1
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        print("chrome_check: %s: no traceEvents array" % path)
        return 1
    xs, procs, threads, order = [], 0, 0, {}
    for e in doc["traceEvents"]:
        for k in ("name", "ph", "pid", "tid"):
            if k not in e:
                print("chrome_check: event without %s: %r" % (k, e))
                return 1
        if e["ph"] == "X":
            if not isinstance(e.get("ts"), int) or not isinstance(e.get("dur"), int) \
                    or e["dur"] < 0:
                print("chrome_check: X event without integer ts and dur >= 0: %r" % e)
                return 1
            xs.append(e)
        elif e["ph"] == "M" and e["name"] == "process_name":
            procs += 1
        elif e["ph"] == "M" and e["name"] == "thread_name":
            threads += 1
        elif e["ph"] == "M" and e["name"] == "thread_sort_index":
            order[(e["pid"], e["tid"])] = e["args"]["sort_index"]
    per = defaultdict(list)
    for e in xs:
        per[(e["pid"], e["tid"])].append(e)
    nested = "yes"
    for key, evs in per.items():
        evs.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in evs:
            while stack and e["ts"] >= stack[-1]["ts"] + stack[-1]["dur"]:
                stack.pop()
            if stack and e["ts"] + e["dur"] > stack[-1]["ts"] + stack[-1]["dur"]:
                nested = "no: %r overlaps %r" % (e, stack[-1])
                break
            stack.append(e)
    print("x_events=%d" % len(xs))
    print("processes=%d" % procs)
    print("threads=%d" % threads)
    print("tids=%d" % len(per))
    print("nested=%s" % nested)
    if fn:
        mine = [e for e in xs if e["name"] == fn]
        print("fn_calls=%d" % len(mine))
        print("fn_ts_sum=%d" % sum(e["ts"] for e in mine))
        print("fn_dur_sum=%d" % sum(e["dur"] for e in mine))
        counts = Counter((e["pid"], e["tid"]) for e in mine)
        keys = sorted(order, key=lambda k: order[k])
        print("fn_per_thread=%s" % ",".join(str(counts.get(k, 0)) for k in keys))
    return 0


sys.exit(main())
