"""Lists places in C/C++ sources that share MIN or more significant lines.

A line is significant when, stripped of whitespace, it is neither empty, a
comment, nor a lone brace. Windows of MIN consecutive significant lines are
hashed; every window seen in two places is reported once per pair of files,
merged into the longest run. Output: "N lines: a.cpp:L1 <-> b.cpp:L2".
Report only (exit 0): duplication is a reason to look, not a verdict.

usage: find_duplicates.py [--min N] FILE...
"""
import collections
import sys

MIN = 6
args = sys.argv[1:]
if args[:1] == ["--min"]:
    MIN, args = int(args[1]), args[2:]


def significant(path):
    lines = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, line in enumerate(f, 1):
                text = " ".join(line.split())
                if not text or text.startswith("//") or text in ("{", "}", "};"):
                    continue
                lines.append((number, text))
    except OSError:
        pass
    return lines


windows = collections.defaultdict(list)
files = {}
for path in args:
    lines = significant(path)
    files[path] = lines
    for i in range(len(lines) - MIN + 1):
        key = "\n".join(text for _, text in lines[i:i + MIN])
        windows[key].append((path, i))

pairs = {}
for places in windows.values():
    if len(places) < 2 or len(places) > 8:  # boilerplate seen everywhere
        continue
    for a in range(len(places)):
        for b in range(a + 1, len(places)):
            (pa, ia), (pb, ib) = places[a], places[b]
            if pa == pb and abs(ia - ib) < MIN:
                continue
            key = (pa, pb, ia - ib)
            start, end = pairs.get(key, (ia, ia))
            pairs[key] = (min(start, ia), max(end, ia))

rows = []
for (pa, pb, delta), (start, end) in pairs.items():
    length = end - start + MIN
    la = files[pa][start][0]
    lb = files[pb][start - delta][0]
    rows.append((length, f"{pa}:{la} <-> {pb}:{lb}"))
rows.sort(reverse=True)
print(f"duplicates: {len(rows)} place(s) share {MIN}+ significant lines")
for length, where in rows[:20]:
    print(f"  {length} lines: {where}")
