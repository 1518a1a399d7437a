"""Checks `kiln compile --list-ops` (read on stdin) against ONNX's own
operator schemas (onnx.defs of the tests' virtual environment, ONNX 1.23),
up to the newest opset kiln reads (the listing's header):

- every op is an ONNX operator;
- each range a handler claims starts at an opset where ONNX (re)defined the
  op, so that no model of an older opset gets the op with a later meaning;
- no range spans a version of opset 18 on that changed the op's attributes
  or formal inputs and outputs: kiln's handlers of opsets 18 and later
  begin a new range wherever ONNX changed more than element types.

(Older ranges may span versions the handler serves too: most add element
types or allow negative axes; attributes absent before their version read
as their defaults, and attribute changes are refused per attribute.)"""
import re
import sys

import onnx.defs

FIRST_CHECKED_CHANGE = 18


def since_versions(op, newest):
    versions = set()
    for opset in range(1, newest + 1):
        try:
            versions.add(onnx.defs.get_schema(op, opset).since_version)
        except onnx.defs.SchemaError:
            pass
    return versions


def interface(op, opset):
    schema = onnx.defs.get_schema(op, opset)
    attrs = sorted((name, a.type, str(a.default_value))
                   for name, a in schema.attributes.items())
    formal = [(p.name, p.option) for p in schema.inputs + schema.outputs]
    return attrs, formal


def main():
    text = sys.stdin.read()
    lines = text.splitlines()
    newest = int(re.search(r"opsets \d+-(\d+)", lines[0]).group(1))
    problems = []
    count = 0
    for line in lines[1:]:
        m = re.match(r"\s+(\w+)\s+(.*)$", line)
        if not m:
            continue
        op, ranges = m.group(1), m.group(2)
        versions = since_versions(op, newest)
        if not versions:
            problems.append(f"{op}: not an ONNX operator")
            continue
        for lo, hi in re.findall(r"(\d+)-(\d+)", ranges):
            lo, hi = int(lo), int(hi)
            count += 1
            if lo not in versions:
                problems.append(f"{op} {lo}-{hi}: ONNX defines no version "
                                f"at opset {lo} (versions {sorted(versions)})")
            for v in sorted(versions):
                if lo < v <= hi and v >= FIRST_CHECKED_CHANGE and \
                        interface(op, v) != interface(op, v - 1):
                    problems.append(f"{op} {lo}-{hi}: ONNX changed its "
                                    f"attributes or inputs at opset {v}")
    print(f"checked {count} ranges up to opset {newest}")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


sys.exit(main())
