"""Feeds kiln corrupted model files and checks it never crashes.

For each model file given, writes truncated copies (at every N-th byte) and
copies with bytes flipped at evenly spread positions (plus a seeded random
sample), runs `kiln summary` on each and requires exit status 0 or 1 with at
most one error line: never a signal, an assertion or another status.
Usage: corrupt_model_files.py KILN WORKDIR FILE...
"""
import os
import random
import shutil
import subprocess
import sys


def check(kiln, path, extra, label):
    proc = subprocess.run([kiln, "summary", path] + extra, capture_output=True,
                          text=True, errors="replace", timeout=60)
    errors = [l for l in proc.stderr.splitlines() if "error:" in l]
    if proc.returncode not in (0, 1) or len(errors) > 1 or \
            (proc.returncode == 1 and not errors):
        print(f"FAILED {label}: exit {proc.returncode}\n{proc.stderr[-2000:]}")
        return False
    return True


def main():
    kiln, work = sys.argv[1], sys.argv[2]
    rng = random.Random(1)
    ok, runs = True, 0
    for original in sys.argv[3:]:
        name = os.path.basename(original)
        data = open(original, "rb").read()
        # Sibling files (tfjs weight shards) travel with the model.
        folder = os.path.join(work, name + ".d")
        os.makedirs(folder, exist_ok=True)
        for sibling in os.listdir(os.path.dirname(original) or "."):
            src = os.path.join(os.path.dirname(original), sibling)
            if os.path.isfile(src) and sibling != name:
                shutil.copy(src, folder)
        target = os.path.join(folder, name)
        step = max(1, len(data) // 24)
        cuts = list(range(0, len(data), step))
        flips = list(range(0, len(data), step)) + rng.sample(range(len(data)), min(16, len(data)))
        for cut in cuts:
            open(target, "wb").write(data[:cut])
            ok &= check(kiln, target, [], f"{name} truncated at {cut}")
            runs += 1
        for pos in flips:
            mutated = bytearray(data)
            mutated[pos] ^= 1 << rng.randrange(8)
            open(target, "wb").write(bytes(mutated))
            ok &= check(kiln, target, [], f"{name} bit flip at {pos}")
            runs += 1
    print(f"{runs} corrupted files: {'OK' if ok else 'FAILED'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
