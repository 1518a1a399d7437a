"""Checks the launch bounds of a model's kernels: every `.entry` of the PTX
(`kiln compile --emit ptx`) declares `.maxntid T, 1, 1`, and T is the block
size every launch of that kernel uses in the mapped IR (`--emit mlir
--stage gpu`), so that ptxas allocates registers for the blocks the
kernel really runs.

  check_launch_bounds.py GPU.mlir KERNELS.ptx
"""
import collections
import re
import sys


def main():
    gpu, ptx = (open(path).read() for path in sys.argv[1:3])
    launches = collections.defaultdict(set)
    for m in re.finditer(r"gpu\.launch_func\s+@kiln_kernels::@(\w+) blocks in "
                         r"\([^)]*\) threads in \(%c(\d+)", gpu):
        launches[m.group(1)].add(int(m.group(2)))
    bounds = {m.group(1): int(m.group(2)) for m in re.finditer(
        r"\.entry (\w+)\([^)]*\)\s*\.maxntid (\d+), 1, 1", ptx)}
    entries = re.findall(r"\.entry (\w+)\(", ptx)
    bad = [e for e in entries if launches.get(e) != {bounds.get(e)}]
    sizes = sorted(set(bounds.values()))
    print(f"{len(entries)} kernels, {len(bounds)} with launch bounds "
          f"(block sizes {sizes}), {len(bad)} unlike their launches "
          f"{bad[:3]}")
    return 1 if bad or not entries else 0


if __name__ == "__main__":
    sys.exit(main())
