"""Per-kernel resources of PTX files as the CUDA toolkit's ptxas reports
them (-v): registers, spill stores and loads, shared memory, and the
blocks of 256 threads an H100/H200 multiprocessor can hold at once with
those (65536 registers, allocated 8 per thread at a time, 228 KiB of
shared memory less 1 KiB a block, at most 2048 threads).

  ptx_resources.py PTXAS ARCH FILE.ptx...   a line per kernel, then a
                                            summary line per file

The summary names the kernels that spill: `spills: none`, or
`spills: k1 k2 ...`.
"""
import re
import subprocess
import sys


def resources(ptxas, arch, path):
    result = subprocess.run([ptxas, "--gpu-name", arch, "-v", path, "-o",
                             "/dev/null"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{path}: ptxas failed:\n{result.stderr}")
    kernels, name = {}, None
    for line in result.stderr.splitlines():
        m = re.search(r"Compiling entry function '(\w+)'", line)
        if m:
            name = m.group(1)
            kernels[name] = {"spill": 0, "regs": 0, "smem": 0}
            continue
        m = re.search(r"(\d+) bytes spill stores, (\d+) bytes spill loads",
                      line)
        if m and name:
            kernels[name]["spill"] = int(m.group(1)) + int(m.group(2))
        m = re.search(r"Used (\d+) registers", line)
        if m and name:
            kernels[name]["regs"] = int(m.group(1))
            s = re.search(r"(\d+) bytes smem", line)
            kernels[name]["smem"] = int(s.group(1)) if s else 0
    return kernels


def blocks_per_sm(regs, smem, threads=256):
    per_block = -(-regs // 8) * 8 * threads
    by_regs = 65536 // per_block if per_block else 8
    by_smem = (228 * 1024) // (smem + 1024)
    return min(by_regs, by_smem, 2048 // threads)


def main():
    ptxas, arch, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    for path in paths:
        kernels = resources(ptxas, arch, path)
        for name, k in sorted(kernels.items()):
            print(f"{path} {name}: {k['regs']} registers, {k['spill']} bytes "
                  f"spilled, {k['smem']} bytes shared, "
                  f"{blocks_per_sm(k['regs'], k['smem'])} blocks/SM")
        spilling = [n for n, k in sorted(kernels.items()) if k["spill"]]
        print(f"{path} {arch}: {len(kernels)} kernels, spills: "
              + (" ".join(spilling) if spilling else "none"))


if __name__ == "__main__":
    main()
