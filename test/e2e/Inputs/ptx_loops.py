"""The issue cost of each kernel's inner loop in a PTX file: the
instructions of the natural loop (a back edge's header and every block
that reaches the back edge without passing the header, wherever the
assembler laid them out) that holds the most multiply-adds (fma.rn.f32,
or mma.sync), per multiply-add. A static measure of what a tiled product
spends besides its arithmetic (staging, index arithmetic, shared loads),
as ptxas -v's registers are one of what it keeps live.

  ptx_loops.py FILE.ptx MIN_FMAS   a line per kernel whose loop has at
                                   least MIN_FMAS multiply-adds, then
                                   `worst: R per fma (kernel)`
"""
import re
import sys


def blocks_of(body):
    """The kernel's basic blocks: (label, instructions, successors)."""
    blocks, label, instructions = [], None, []

    def close(fallthrough):
        blocks.append([label, instructions, fallthrough])

    pending = ""  # an instruction over several lines (mma.sync's)
    for line in body:
        text = line.split("//")[0].strip()
        m = re.match(r"^(\$L__\w+):", text)
        if m:
            if label is not None or instructions:
                close(True)
            label, instructions = m.group(1), []
            continue
        if not text or text.startswith((".", "{", "}")) and not pending:
            continue
        pending += " " + text
        if not text.endswith(";"):
            continue
        text, pending = pending.strip(), ""
        instructions.append(text)
        if re.search(r"\bbra(?:\.uni)?\s", text) or re.match(r"(@\S+\s+)?ret;", text):
            unconditional = not text.startswith("@")
            close(not unconditional)
            label, instructions = None, []
    if label is not None or instructions:
        close(False)
    index = {b[0]: i for i, b in enumerate(blocks) if b[0]}
    graph = []
    for i, (label, instructions, fallthrough) in enumerate(blocks):
        successors = set()
        if instructions:
            m = re.search(r"\bbra(?:\.uni)?\s+(\$L__\w+);", instructions[-1])
            if m and m.group(1) in index:
                successors.add(index[m.group(1)])
        if fallthrough and i + 1 < len(blocks):
            successors.add(i + 1)
        graph.append((instructions, successors))
    return graph


def loops(path):
    lines = open(path).read().split("\n")
    entries = [(m.group(1), i) for i, line in enumerate(lines)
               for m in [re.match(r"\.visible \.entry (\w+)\(", line)] if m]
    entries.append((None, len(lines)))
    for (name, start), (_, end) in zip(entries, entries[1:]):
        graph = blocks_of(lines[start:end])
        predecessors = [set() for _ in graph]
        for i, (_, successors) in enumerate(graph):
            for s in successors:
                predecessors[s].add(i)
        # Dominators, iterated to their fixed point from the entry block.
        everything = set(range(len(graph)))
        dominators = [{0}] + [set(everything) for _ in graph[1:]]
        changed = True
        while changed:
            changed = False
            for i in range(1, len(graph)):
                incoming = [dominators[p] for p in predecessors[i]]
                new = (set.intersection(*incoming) if incoming else set()) | {i}
                if new != dominators[i]:
                    dominators[i], changed = new, True
        best = (0, 0)
        for latch, (_, successors) in enumerate(graph):
            # A back edge: to a header that dominates the latch.
            for header in successors & dominators[latch]:
                body, work = {header, latch}, [latch]
                while work:
                    for p in predecessors[work.pop()]:
                        if p not in body:
                            body.add(p)
                            work.append(p)
                code = [x for i in body for x in graph[i][0]]
                fmas = sum(1 for x in code
                           if re.search(r"\bfma\.rn\.f32|\bmma\.sync", x))
                # The most multiply-adds; of equals, the innermost.
                best = max(best, (fmas, -len(code)))
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
