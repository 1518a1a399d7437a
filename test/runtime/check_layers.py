#!/usr/bin/env python3
# ===- check_layers.py - The runtime's archives depend only downward -------===#
# SPDX-License-Identifier: Apache-2.0
#
#   check_layers.py NM LIBDIR [BINARY]
#
# 1. With `nm`, every kiln symbol (C API `kiln_*`, C++ `kiln::`) an archive
#    of LIBDIR leaves undefined must be defined in that archive or in one of
#    the archives it may depend on (runtime/README.md), never above.
# 2. BINARY, a predicting application linked with base + model only, must
#    contain no TFRecord, Example, event-file, dataset, training, command-line
#    or zlib (inflate/deflate/crc32) code.
# Prints every violation; exit status 1 if there is one.
# ===----------------------------------------------------------------------===#
import os
import re
import subprocess
import sys

# Each layer and the layers it may use (downward only).
ALLOWED = {
    "base": [],
    "model": ["base"],
    "gpu": ["model", "base"],
    "formats": ["base"],
    "data": ["formats", "base"],
    "train": ["data", "model", "formats", "base"],
    "serve": ["model", "formats", "base"],
    "cli": ["serve", "train", "data", "gpu", "model", "formats", "base"],
    "main": ["cli", "serve", "train", "data", "gpu", "model", "formats",
             "base"],
}
KILN = re.compile(r"^(kiln_|_ZN4kiln|_ZNK4kiln)")
# Defined by the compiled model object, not by the runtime.
EXTERNAL = {"kiln_model_descriptor"}
# What must not reach an application that only predicts (demangled names).
FORBIDDEN = re.compile(
    r"TFRecord|Example|kiln_example|EventWriter|kiln_tfrecord|kiln_dataset|"
    r"kiln_batches|kiln_model_fit|kiln_model_evaluate|BatchStream|"
    r"kiln_cli_main|kiln::cli::|kiln_npy_|parseNpy|extractZip|"
    r"^(inflate|deflate|crc32|crc32_z|crc32_combine|adler32|gz\w+)(@.*)?$")


def nm(tool, args, path):
    out = subprocess.run([tool] + args + [path], check=True,
                         capture_output=True, text=True).stdout
    return out.splitlines()


def symbols(tool, path):
    """(defined, undefined) global symbol names of an archive or binary."""
    defined, undefined = set(), set()
    for line in nm(tool, ["-g", "--format=posix"], path):
        fields = line.split()
        if len(fields) < 2 or line.endswith(":"):
            continue  # an archive member's header
        name, kind = fields[0], fields[1]
        if kind == "U":
            undefined.add(name)
        elif kind not in "wv":
            defined.add(name)
    return defined, undefined


def main():
    tool, libdir = sys.argv[1], sys.argv[2]
    errors = []
    layers = {}
    for layer in ALLOWED:
        path = os.path.join(libdir, "libkiln_runtime_%s.a" % layer)
        if not os.path.exists(path):
            errors.append("missing archive " + path)
            continue
        layers[layer] = symbols(tool, path)
    for layer, (defined, undefined) in layers.items():
        visible = set(defined)
        for lower in ALLOWED[layer]:
            visible |= layers.get(lower, (set(), set()))[0]
        for name in sorted(undefined):
            if not KILN.match(name) or name in visible or name in EXTERNAL:
                continue
            owner = [other for other, (d, _) in layers.items() if name in d]
            errors.append("libkiln_runtime_%s.a uses %s, defined in %s" %
                          (layer, name, ", ".join(owner) or "no archive"))
    if len(sys.argv) > 3:
        binary = sys.argv[3]
        for line in nm(tool, ["-C", "--format=posix"], binary):
            match = re.match(r"^(.*) [A-Za-z?](?: [0-9a-f]*)*$", line)
            name = match.group(1) if match else line
            if FORBIDDEN.search(name):
                errors.append("%s contains %s" % (os.path.basename(binary),
                                                  name))
    for error in errors:
        print("error: " + error)
    if not errors:
        print("ok: %d archives depend only downward%s" %
              (len(layers), "; the application holds base + model only"
               if len(sys.argv) > 3 else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
