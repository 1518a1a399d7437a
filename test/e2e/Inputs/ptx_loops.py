"""The issue cost of each kernel's inner loop in a PTX file: the
instructions of the loop (a backward branch and the code between its
target and it) that holds the most multiply-adds (fma.rn.f32, or
mma.sync), per multiply-add. A static measure of what a tiled product
spends besides its arithmetic (staging, index arithmetic, shared loads),
as ptxas -v's registers are one of what it keeps live.

  ptx_loops.py FILE.ptx MIN_FMAS   a line per kernel whose loop has at
                                   least MIN_FMAS multiply-adds, then
                                   `worst: R per fma (kernel)`
"""
import re
import sys


def loops(path):
    lines = open(path).read().split("\n")
    entries = [(m.group(1), i) for i, line in enumerate(lines)
               for m in [re.match(r"\.visible \.entry (\w+)\(", line)] if m]
    entries.append((None, len(lines)))
    for (name, start), (_, end) in zip(entries, entries[1:]):
        body = lines[start:end]
        labels = {m.group(1): i for i, line in enumerate(body)
                  for m in [re.match(r"^(\$L__\w+):", line)] if m}
        # The loop with the most multiply-adds; of equals, the innermost.
        best = (0, 0)
        for i, line in enumerate(body):
            m = re.search(r"\bbra(?:\.uni)?\s+(\$L__\w+);", line)
            if not m or labels.get(m.group(1), i) >= i:
                continue
            region = [x.strip() for x in body[labels[m.group(1)]:i + 1]]
            fmas = sum(1 for x in region
                       if re.search(r"\bfma\.rn\.f32|\bmma\.sync", x))
            instructions = sum(1 for x in region if x.endswith(";")
                               and not x.startswith(("//", ".")))
            best = max(best, (fmas, -instructions))
        if best[0]:
            yield name, -best[1], best[0]


def main():
    path, min_fmas = sys.argv[1], int(sys.argv[2])
    worst = None
    for name, instructions, fmas in loops(path):
        if fmas < min_fmas:
            continue
        ratio = instructions / fmas
        print(f"{name}: {instructions} instructions, {fmas} fma: "
              f"{ratio:.2f} per fma")
        worst = max(worst or (0, ""), (ratio, name))
    if worst is None:
        sys.exit(f"{path}: no loop with {min_fmas} multiply-adds")
    print(f"worst: {worst[0]:.2f} per fma ({worst[1]})")


if __name__ == "__main__":
    main()
