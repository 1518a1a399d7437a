"""Checks `kiln compile --list-ops` (read on stdin) against ONNX's own
operator schemas (onnx.defs, ONNX 1.12): every op is an ONNX operator, and
each range a handler claims starts at an opset where ONNX (re)defined the
op, so that no model of an older opset gets the op with a later meaning.
(Versions inside a range are ones the handler serves too: most add element
types or allow negative axes; attribute changes are refused per
attribute.)"""
import re
import sys

import onnx.defs

def since_versions(op):
    versions = set()
    for opset in range(1, 18):
        try:
            versions.add(onnx.defs.get_schema(op, opset).since_version)
        except onnx.defs.SchemaError:
            pass
    return versions


def main():
    text = sys.stdin.read()
    lines = text.splitlines()[1:]
    problems = []
    count = 0
    for line in lines:
        m = re.match(r"\s+(\w+)\s+(.*)$", line)
        if not m:
            continue
        op, ranges = m.group(1), m.group(2)
        versions = since_versions(op)
        if not versions:
            problems.append(f"{op}: not an ONNX operator")
            continue
        for lo, hi in re.findall(r"(\d+)-(\d+)", ranges):
            lo, hi = int(lo), int(hi)
            count += 1
            if lo not in versions:
                problems.append(f"{op} {lo}-{hi}: ONNX defines no version "
                                f"at opset {lo} (versions {sorted(versions)})")
    print(f"checked {count} ranges")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


sys.exit(main())
